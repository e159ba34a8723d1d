//! Tests that drive whole disks.
