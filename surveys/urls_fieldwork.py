app_name = "fieldwork"
urlpatterns = []
