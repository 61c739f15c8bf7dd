from __future__ import annotations

from django.urls import path

from caregivers import views

app_name = "caregivers"

urlpatterns = [
    path("patients/<uuid:patient_id>/team/", views.team, name="team"),
    path("patients/<uuid:patient_id>/team/invite/", views.invite, name="invite"),
    path(
        "patients/<uuid:patient_id>/team/invitations/<uuid:invitation_id>/resend/",
        views.invitation_resend,
        name="invitation_resend",
    ),
    path(
        "patients/<uuid:patient_id>/team/invitations/<uuid:invitation_id>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path(
        "patients/<uuid:patient_id>/team/members/<uuid:member_id>/",
        views.member_edit,
        name="member",
    ),
    path(
        "patients/<uuid:patient_id>/team/members/<uuid:member_id>/remove/",
        views.member_remove,
        name="member_remove",
    ),
    path("patients/<uuid:patient_id>/team/leave/", views.leave, name="leave"),
    path("invitations/<str:token>/", views.invitation, name="invitation"),
    path("invitations/<str:token>/accept/", views.invitation_accept, name="invitation_accept"),
    path("invitations/<str:token>/decline/", views.invitation_decline, name="invitation_decline"),
]
