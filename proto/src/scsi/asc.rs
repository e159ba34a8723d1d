//! SCSI asc formats. Filled by the SCSI parameter-data work.
