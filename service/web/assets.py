"""Swagger UI's own files, served by the service so the docs page works with no internet."""

from flask import Blueprint, send_from_directory
from swagger_ui_bundle import swagger_ui_path

assets = Blueprint("docs_assets", __name__)


@assets.route("/docs/assets/<path:filename>")
def swagger_ui_asset(filename: str):
    """Serve a Swagger UI asset (JavaScript, CSS, icons) from the swagger-ui-bundle package."""
    return send_from_directory(str(swagger_ui_path), filename, max_age=3600)


@assets.route("/favicon.ico")
def favicon():
    """The icon browsers ask for on every page (the docs page included), so that they get no 404."""
    return send_from_directory(str(swagger_ui_path), "favicon-32x32.png", mimetype="image/png", max_age=86400)
