"""Swagger UI's own files, served by the service so the docs page works with no internet."""

from flask import Blueprint, send_from_directory
from swagger_ui_bundle import swagger_ui_path

assets = Blueprint("docs_assets", __name__)


@assets.route("/docs/assets/<path:filename>")
def swagger_ui_asset(filename: str):
    """Serve a Swagger UI asset (JavaScript, CSS, icons) from the swagger-ui-bundle package."""
    return send_from_directory(str(swagger_ui_path), filename, max_age=3600)
