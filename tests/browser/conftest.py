"""Browser tests drive Debian's Chromium through Playwright (`executable_path`, never a
downloaded build); skipped without /usr/bin/chromium unless CI=true."""

from tests.support.workspace import browser, page, screenshots

__all__ = ["browser", "page", "screenshots"]
