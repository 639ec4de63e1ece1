"""RQ worker entry point and jobs for Refund Center."""
