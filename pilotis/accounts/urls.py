from django.contrib.auth import views as auth_views
from django.urls import path
from django.views.decorators.http import require_POST

from pilotis.accounts import views

app_name = "accounts"
urlpatterns = [
    path("connexion/", views.LoginView.as_view(), name="login"),
    path("deconnexion/", require_POST(views.logout), name="logout"),
    path("mot-de-passe/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "mot-de-passe/envoye/",
        auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "mot-de-passe/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "mot-de-passe/termine/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="accounts/password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
]
