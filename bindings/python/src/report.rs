//! `segmentlog.RecoveryReport` and `segmentlog.RecoveryEvent`: what an open (or `repair`) found
//! and did, converted from core's `RecoveryReport`.

use pyo3::prelude::*;
use pyo3::types::{PyList, PyRange};

/// One thing recovery found or did: its ``kind`` (``"hole"``, ``"torn_tail"``,
/// ``"segment_quarantined"``, ``"header_rewritten"``, ``"obsolete_removed"`` or
/// ``"index_rebuilt"``), the base offset of the ``segment`` concerned, the ``offsets``
/// concerned (a ``range``, empty when no whole record was), the byte ``position`` in the
/// segment's store and how many ``bytes``, the ``reason`` and the ``quarantine_id`` of the
/// quarantine item holding the bytes (``None`` if none). ``str()`` gives one line of text.
#[pyclass(frozen, module = "segmentlog", name = "RecoveryEvent")]
#[derive(Debug)]
pub(crate) struct PyRecoveryEvent {
    event: segmentlog::RecoveryEvent,
}

#[pymethods]
impl PyRecoveryEvent {
    /// What happened: ``"hole"``, ``"torn_tail"``, ``"segment_quarantined"``,
    /// ``"header_rewritten"``, ``"obsolete_removed"`` or ``"index_rebuilt"``.
    #[getter]
    fn kind(&self) -> &'static str {
        self.event.kind.as_str()
    }

    /// Base offset of the segment concerned.
    #[getter]
    fn segment(&self) -> u64 {
        self.event.segment
    }

    /// The offsets concerned, a ``range`` (empty when no whole record was: a torn partial
    /// record).
    #[getter]
    fn offsets<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyRange>> {
        let r = &self.event.offsets;
        // Offsets never exceed i64::MAX (format::MAX_OFFSET): they fit an isize on 64 bits.
        let bound = |o: u64| {
            isize::try_from(o).map_err(|_| {
                pyo3::exceptions::PyOverflowError::new_err("offset does not fit a range")
            })
        };
        PyRange::new(py, bound(r.start)?, bound(r.end)?)
    }

    /// Byte position in the segment's store where the bytes concerned start.
    #[getter]
    fn position(&self) -> u64 {
        self.event.position
    }

    /// How many bytes.
    #[getter]
    fn bytes(&self) -> u64 {
        self.event.bytes
    }

    /// What was found there.
    #[getter]
    fn reason(&self) -> &str {
        &self.event.reason
    }

    /// The quarantine item holding the bytes (``DIR/quarantine/``), or ``None``.
    #[getter]
    fn quarantine_id(&self) -> Option<u64> {
        self.event.quarantine_id
    }

    /// Whether an earlier open or repair already found this (a hole found again).
    #[getter]
    fn known(&self) -> bool {
        self.event.known
    }

    fn __str__(&self) -> String {
        self.event.to_string()
    }

    fn __repr__(&self) -> String {
        let e = &self.event;
        let id = e
            .quarantine_id
            .map_or_else(|| "None".to_owned(), |id| id.to_string());
        format!(
            "RecoveryEvent(kind='{}', segment={}, offsets=range({}, {}), position={}, bytes={}, \
             quarantine_id={id})",
            e.kind.as_str(),
            e.segment,
            e.offsets.start,
            e.offsets.end,
            e.position,
            e.bytes,
        )
    }
}

/// What one open of a log (:attr:`Log.recovery_report`) or one :func:`repair` found and did:
/// ``clean_shutdown`` (the log had been closed cleanly), ``segments_scanned``,
/// ``records_checked``, ``synced`` (everything kept was made durable before the open
/// returned), the ``events`` (a list of :class:`RecoveryEvent`, in log order), and the
/// properties ``is_clean`` (nothing lost, cut or quarantined), ``records_in_holes``,
/// ``records_cut`` and ``bytes_quarantined``. ``str()`` gives the text every language prints:
/// one line of summary, then one line per event.
#[pyclass(frozen, module = "segmentlog", name = "RecoveryReport")]
#[derive(Debug)]
pub(crate) struct PyRecoveryReport {
    report: segmentlog::RecoveryReport,
    events: Vec<Py<PyRecoveryEvent>>,
}

impl PyRecoveryReport {
    pub(crate) fn from_core(py: Python<'_>, report: segmentlog::RecoveryReport) -> PyResult<Self> {
        let events = report
            .events
            .iter()
            .map(|e| Py::new(py, PyRecoveryEvent { event: e.clone() }))
            .collect::<PyResult<_>>()?;
        Ok(PyRecoveryReport { report, events })
    }
}

#[pymethods]
impl PyRecoveryReport {
    /// The log had been closed cleanly: nothing needed a scan.
    #[getter]
    fn clean_shutdown(&self) -> bool {
        self.report.clean_shutdown
    }

    /// Stores that were read through.
    #[getter]
    fn segments_scanned(&self) -> u64 {
        self.report.segments_scanned
    }

    /// Records of the segments scanned that were checked and kept.
    #[getter]
    fn records_checked(&self) -> u64 {
        self.report.records_checked
    }

    /// The open made everything it kept durable before returning.
    #[getter]
    fn synced(&self) -> bool {
        self.report.synced
    }

    /// Everything recovery found or did, in log order (a new list each time).
    #[getter]
    fn events<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        PyList::new(py, self.events.iter().map(|e| e.clone_ref(py)))
    }

    /// Whether nothing was lost, cut or quarantined (an index rebuild is not a loss).
    #[getter]
    fn is_clean(&self) -> bool {
        self.report.is_clean()
    }

    /// Records whose offsets became holes.
    #[getter]
    fn records_in_holes(&self) -> u64 {
        self.report.records_in_holes()
    }

    /// Records cut off with a torn tail or a quarantined segment (never acknowledged as
    /// durable).
    #[getter]
    fn records_cut(&self) -> u64 {
        self.report.records_cut()
    }

    /// Bytes taken out of the log into the quarantine.
    #[getter]
    fn bytes_quarantined(&self) -> u64 {
        self.report.bytes_quarantined()
    }

    fn __str__(&self) -> String {
        self.report.to_string()
    }

    fn __repr__(&self) -> String {
        let r = &self.report;
        format!(
            "<segmentlog.RecoveryReport clean_shutdown={} is_clean={} records_in_holes={} \
             records_cut={} events={}>",
            py_bool(r.clean_shutdown),
            py_bool(r.is_clean()),
            r.records_in_holes(),
            r.records_cut(),
            r.events.len()
        )
    }
}

fn py_bool(b: bool) -> &'static str {
    if b { "True" } else { "False" }
}
