//! SCSI vpd formats. Filled by the SCSI parameter-data work.
