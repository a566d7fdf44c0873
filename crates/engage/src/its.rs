//! Interrupted time series: to be written.
