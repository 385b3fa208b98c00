"""The AI-safety career advisor: which technical AI-safety fields are safer bets against automation."""

__version__ = "0.1.0"
