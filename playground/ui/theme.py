"""Shared CSS and <head> snippets for the app."""

CSS: str = """
.mono textarea, .mono pre, .mono code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; }
.error-box { border-left: 4px solid #d33; padding: 0.4em 0.8em; background: #fff3f3; color: #700; }
.ok-box { border-left: 4px solid #2a2; padding: 0.4em 0.8em; background: #f3fff3; }
"""
HEAD: str = ""
