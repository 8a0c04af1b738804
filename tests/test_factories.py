"""The test suite's own factories do what the other tests rely on.

A server left running by a failed test holds a port and a thread for the rest of the
session; an article whose default id differs from ingest's would make an in-memory
article and the same article read from disk two different articles.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

import pytest
from factories import article, write_articles
from fault_server import FaultServer
from servers import Loopback, SilentServer, serve
from smtp_server import SmtpServer
from web_server import WebServer

from briefing.ingest.read import ingest


@pytest.mark.parametrize("make", [SmtpServer, FaultServer, WebServer, SilentServer])
def test_serve_answers_inside_the_block_and_frees_the_port_however_it_ends(
    make: Callable[[], Loopback],
) -> None:
    with pytest.raises(RuntimeError, match="the test failed"), serve(make()) as server:
        port = server.port
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
        raise RuntimeError("the test failed")

    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5)


def test_an_article_in_memory_has_the_id_ingest_gives_the_same_text_on_disk(tmp_path: Path) -> None:
    text = "Harbour board approves new berths\n\nThe Northbay harbour board approved 12 new berths on Monday."
    paths = write_articles(tmp_path, {"harbour.txt": text, "blank.txt": b"  \n"})

    assert paths == [tmp_path / "harbour.txt", tmp_path / "blank.txt"]
    [read] = ingest([str(tmp_path)]).articles
    assert read.text == text and article(text).id == read.id
