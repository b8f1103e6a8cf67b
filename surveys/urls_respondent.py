app_name = "respondent"
urlpatterns = []
