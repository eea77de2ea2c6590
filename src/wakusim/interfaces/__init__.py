"""User interfaces (command line). The core never imports from here."""
