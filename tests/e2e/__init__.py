"""Real-client scenarios in Microsoft's Teams emulator; see conftest.py."""
