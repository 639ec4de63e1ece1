"""Policy editor (/staff/policy): drafts, preview, publish, history, rollback."""

from flask import Blueprint

bp = Blueprint("policyeditor", __name__, url_prefix="/staff/policy")
