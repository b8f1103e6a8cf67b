from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("", views.AccountListView.as_view(), name="list"),
    path("new/", views.account_create, name="create"),
    path("<int:pk>/", views.account_edit, name="edit"),
    path("<int:pk>/active/", views.account_toggle_active, name="toggle_active"),
    path("<int:pk>/password/", views.account_reset_password, name="reset_password"),
]
