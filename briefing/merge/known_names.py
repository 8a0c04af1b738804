"""Spellings of people the news names often, as their own offices and standard romanisations write them.

Merging uses this list for one thing only: when sources split evenly between two spellings
of one person and nothing in the sources prefers one, the spelling listed here wins
("Li Qiang" over "Le Qiang", "Karoline Leavitt" over "Caroline Leavitt"). It never
overrides a spelling more sources use, and never joins or splits entities. Kept as data so
an editor can add the names their feeds carry.
"""

from __future__ import annotations

__all__ = ["KNOWN_PEOPLE"]


def _names(text: str) -> frozenset[str]:
    return frozenset(name.strip() for name in text.split(",") if name.strip())


KNOWN_PEOPLE = _names(
    # United States
    "Donald Trump, JD Vance, Marco Rubio, Scott Bessent, Howard Lutnick, Jamieson Greer, "
    "Karoline Leavitt, Kevin Hassett, Pete Hegseth, Steve Witkoff, Jerome Powell, Joe Biden, "
    # China
    "Xi Jinping, Li Qiang, He Lifeng, Wang Yi, Li Chenggang, Wang Wentao, "
    # Europe
    "Keir Starmer, Rachel Reeves, David Lammy, Emmanuel Macron, Friedrich Merz, Olaf Scholz, "
    "Giorgia Meloni, Pedro Sánchez, Luís Montenegro, Ursula von der Leyen, Kaja Kallas, "
    "António Costa, Christine Lagarde, Volodymyr Zelensky, Vladimir Putin, Sergei Lavrov, "
    "Recep Tayyip Erdoğan, "
    # Asia, the Middle East, the Americas, Africa, Oceania
    "Narendra Modi, Shigeru Ishiba, Lee Jae-myung, Benjamin Netanyahu, Ali Khamenei, "
    "Masoud Pezeshkian, Abbas Araghchi, Ahmed al-Sharaa, Mark Carney, Claudia Sheinbaum, "
    "Luiz Inácio Lula da Silva, Javier Milei, Cyril Ramaphosa, Anthony Albanese, "
    # International bodies
    "António Guterres, Rafael Grossi, Kristalina Georgieva, Ngozi Okonjo-Iweala, Mark Rutte"
)
