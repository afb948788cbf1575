"""The HTTP route of the CSV export, as a Panel server plugin.

``panel serve apps/brownian.py --plugins brownian_panel.export.route`` (``brownian-panel``
adds it) serves ``/brownian-export/<token>.csv``: the history of the session that owns the
token, streamed in chunks with ``Content-Disposition: attachment``; any other token gets 404.
Each chunk is flushed to the socket before the next is formatted, so a slow client holds at
most about one chunk in the server.
"""

from __future__ import annotations

import logging

from tornado.iostream import StreamClosedError
from tornado.web import HTTPError, RequestHandler

from .csv import EXPORT_PATH, EXPORTS, ExportInterrupted

log = logging.getLogger(__name__)


class CsvExportHandler(RequestHandler):
    """Streams a session's history as CSV."""

    async def get(self, token: str) -> None:
        export = EXPORTS.get(token)
        if export is None:
            raise HTTPError(404)
        self.set_header("Content-Type", "text/csv; charset=utf-8")
        self.set_header("Content-Disposition", f'attachment; filename="{export.filename}"')
        self.set_header("Cache-Control", "no-store")
        sent = 0
        try:
            for chunk in export.chunks():
                self.write(chunk)
                await self.flush()
                sent += len(chunk)
        except StreamClosedError:  # the client left: normal
            log.info("CSV download ended by the client after %d bytes", sent)
        except ExportInterrupted as error:
            log.warning("CSV export stopped: %s", error)
            self.request.connection.close()  # an incomplete body: the download fails visibly


#: Read by ``panel serve --plugins``.
ROUTES = [(EXPORT_PATH + r"/([A-Za-z0-9_-]{20,100})\.csv", CsvExportHandler)]
