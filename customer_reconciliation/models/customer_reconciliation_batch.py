import logging
import threading

import psycopg2.errors
from markupsafe import Markup

from odoo import api, models, tools
from odoo.exceptions import UserError
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

CHUNK_SIZE = 500


class CustomerReconciliationBatch(models.AbstractModel):
    """How every scheduled action of the addon works through its records.

    Work is cut in chunks; each chunk is first tried as one set-based call,
    and when it fails its records are retried one by one, each in its own
    savepoint, so that one failing customer is logged and skipped while the
    others go on. Each chunk is committed (outside tests) and reported to the
    cron's progress, so a run that dies midway keeps what it did and the next
    run resumes where it stopped: the callbacks must be idempotent.
    """

    _name = "customer.reconciliation.batch"
    _description = "Customer Reconciliation Batch Runner"

    @api.model
    def _can_commit(self):
        testing = tools.config["test_enable"] or getattr(
            threading.current_thread(), "testing", False
        )
        return not testing and not self.env.context.get("customer_reconciliation_no_commit")

    @api.model
    def _commit_chunk(self):
        """Commit the work of one chunk, except in tests."""
        if self._can_commit():
            self.env.cr.commit()  # pylint: disable=invalid-commit

    @api.model
    def _run_in_chunks(self, records, process, chunk_size=None, on_failure=None):
        """Call ``process(chunk)`` on ``records`` chunk by chunk.

        :param records: recordset to work through
        :param process: callable taking a recordset; must be idempotent
        :param chunk_size: records per chunk (default: the context's
            ``customer_reconciliation_chunk_size``, else 500)
        :param on_failure: callable ``(record, exception)`` for a record that
            failed alone; by default the failure is logged
        :return: ``(done, failed)`` recordsets
        """
        chunk_size = chunk_size or self.env.context.get(
            "customer_reconciliation_chunk_size", CHUNK_SIZE
        )
        done = records.browse()
        failed = records.browse()
        total = len(records)
        for start in range(0, total, chunk_size):
            chunk = records[start : start + chunk_size]
            try:
                with self.env.cr.savepoint():
                    process(chunk)
                done |= chunk
            except Exception as chunk_error:  # noqa: BLE001 - retried record by record below
                failures = [(chunk, chunk_error)]  # a chunk of one failed alone already
                if len(chunk) > 1:
                    _logger.info("Chunk of %s failed, retrying its records one by one", chunk._name)
                    failures = []
                    for record in chunk:
                        try:
                            with self.env.cr.savepoint():
                                process(record)
                            done |= record
                        except Exception as error:  # noqa: BLE001 - isolated on purpose
                            failures.append((record, error))
                for record, error in failures:
                    failed |= record
                    _logger.warning("%s failed for %s: %s", chunk._name, record, error)
                    if on_failure:
                        self._report_failure(on_failure, record, error)
            # the progress is saved with the chunk
            self.env["ir.cron"]._notify_progress(
                done=len(done) + len(failed), remaining=total - start - len(chunk)
            )
            self._commit_chunk()
        return done, failed

    @api.model
    def _report_failure(self, on_failure, record, error):
        """Call ``on_failure(record, error)``; a failure to report the
        failure is logged and does not stop the run."""
        try:
            with self.env.cr.savepoint():
                on_failure(record, error)
        except Exception:  # noqa: BLE001 - the run goes on
            _logger.exception("Could not record the failure of %s", record)

    @api.model
    def _note_failure(self, record, message, error):
        """Say on ``record``'s chatter that a scheduled action failed for it:
        ``message``, then the error."""
        record.message_post(
            body=Markup("%s<br/><code>%s</code>") % (message, str(error)[:500]),
            subtype_xmlid="mail.mt_note",
        )

    @api.model
    def _hold_scheduled_action(self, xmlid):
        """Before running the scheduled action ``xmlid`` by hand: lock its
        row until the end of this transaction, as the scheduler does while
        it runs it, so that neither starts while the other runs. Refused
        while the scheduler runs it."""
        cron = self.env.ref(xmlid, raise_if_not_found=False)
        if not cron:
            return
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(
                    SQL("SELECT id FROM ir_cron WHERE id = %s FOR NO KEY UPDATE NOWAIT", cron.id),
                    log_exceptions=False,
                )
        except psycopg2.errors.LockNotAvailable:
            raise UserError(
                self.env._(
                    "The scheduled action “%(name)s” is running right now; "
                    "try again when it is done.",
                    name=cron.sudo().name,
                )
            ) from None
