from flask import Blueprint

bp = Blueprint("paths", __name__, url_prefix="/paths")
