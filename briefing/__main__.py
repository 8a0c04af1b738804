from briefing.app.cli import main

main()
