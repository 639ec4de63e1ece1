"""The staff roles each staff area admits (admins hold every role); guards and the staff menu share them."""

from portal.accounts.models import StaffRole

REVIEW_ROLES = (StaffRole.REVIEWER, StaffRole.SENIOR)  # the queue, cases, failed notifications
SENIOR_ROLES = (StaffRole.SENIOR,)  # appeals, arbitration outcomes, payouts
EDITOR_ROLES = (StaffRole.EDITOR,)  # the policy editor
ADMIN_ROLES = (StaffRole.ADMIN,)  # operations, the working-day calendar
