"""`manage.py load_trigger_content`: Loading the same documents twice changes nothing."""

from auditlog.models import LogEntry

from tests.trigger.loading import (
    SHIPPED,
    copy_shipped,
    library_snapshot,
    load_documents,
    write_soleus,
)


def test_running_the_command_twice_changes_nothing(db):
    assert load_documents() == "Gastrocnemius: created\n"
    before = library_snapshot()
    log_entries = LogEntry.objects.count()

    output = load_documents()

    assert output == "Gastrocnemius: unchanged\n"
    assert library_snapshot() == before
    assert LogEntry.objects.count() == log_entries
    assert log_entries > 0


def test_running_the_command_twice_with_two_documents_changes_neither(db, tmp_path):
    soleus = write_soleus(tmp_path)
    load_documents(SHIPPED, soleus)
    before = library_snapshot()
    log_entries = LogEntry.objects.count()

    output = load_documents(SHIPPED, soleus)

    assert output == "Gastrocnemius: unchanged\nSoleus: unchanged\n"
    assert library_snapshot() == before
    assert LogEntry.objects.count() == log_entries


def test_a_copy_of_the_shipped_document_elsewhere_is_the_same_document(gastrocnemius, tmp_path):
    before = library_snapshot()

    assert load_documents(copy_shipped(tmp_path)) == "Gastrocnemius: unchanged\n"
    assert library_snapshot() == before
