//! cocare's storage: one code path for SQLite (the embedded default) and PostgreSQL.
//!
//! Architecture invariants:
//! - SQL is written once, with `$1, $2, …` placeholders, over `sqlx::Any`; columns are only
//!   INTEGER/BIGINT, TEXT and BLOB, so both backends decode the same way.
//! - Personal data is read or written only through methods that take a [`Permit`] and append an
//!   audit row on the same transaction; dropping a [`WriteTxn`] without `commit` discards both.
//! - The audit log is a hash chain; appends are serialised by the chain-head row.

mod audit;
mod backup;
mod careplans;
mod db;
mod documents;
mod engagement;
mod error;
mod qual;
mod records;
mod rows;
mod vignettes;

pub use audit::{AuditEntry, AuditVerdict, ChainBreak, NewAuditEvent};
pub use backup::{BackupSummary, RESTORE_ORDER};
pub use careplans::{CopyGiven, DialogRecord, MeasureRecord, StoredPlan, TeamPlanRow, VersionSummary};
pub use db::{Backend, DatabaseUrl, Store, WriteTxn};
pub use documents::{COHORTS, DocKind, DocumentSummary, DocumentVersion, EVALUATIONS, UNIT_COST_TABLES};
pub use engagement::{
    ActionRow, ActivityRow, AttendanceRow, FundingChangeRow, IndicatorRow, PaymentRow, ProposalRow, RatingRow,
    StakeholderRow,
};
pub use error::StoreError;
pub use qual::{
    NewQualSource, QualCmoVersion, QualCoderRow, QualCodingRow, QualMatrixCell, QualMemberRow, QualMemoRow,
    QualParticipantRow, QualProjectRow, QualProjectSummary, QualSourceRow, QualVariableRow,
};
pub use records::{CohortSummary, CohortVersionRow, ImportRow};
pub use rows::*;
pub use vignettes::{
    AnswerRow, ApprovalRow, CommentRow, InvitationRow, NewVersion, PanelMemberRow, StudyRow, VersionRow, VignetteRow,
};

pub use cocare_policy::Permit;
