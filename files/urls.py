from __future__ import annotations

from django.urls import path

from files import views

app_name = "files"

FILE = "patients/<uuid:patient_id>/files/<uuid:file_id>"

urlpatterns = [
    path("patients/<uuid:patient_id>/files/", views.file_list, name="list"),
    path("patients/<uuid:patient_id>/files/upload/", views.upload, name="upload"),
    path(f"{FILE}/", views.file_detail, name="detail"),
    path(f"{FILE}/delete/", views.file_delete, name="delete"),
    path(f"{FILE}/share/", views.share, name="share"),
    path(f"{FILE}/shares/<uuid:share_id>/revoke/", views.share_revoke, name="share_revoke"),
    path(f"{FILE}/download/", views.download, name="download"),
    path(f"{FILE}/view/", views.view, name="view"),
    path(f"{FILE}/thumbnail/", views.thumbnail, name="thumbnail"),
    path("files/shared/", views.shared_list, name="shared"),
    path("files/shared/<uuid:file_id>/", views.shared_detail, name="shared_detail"),
    path("files/shared/<uuid:file_id>/download/", views.shared_download, name="shared_download"),
    path("files/shared/<uuid:file_id>/view/", views.shared_view, name="shared_view"),
    path(
        "files/shared/<uuid:file_id>/thumbnail/", views.shared_thumbnail, name="shared_thumbnail"
    ),
]
