from django_tasks import task

from .services import job_run


@task()
def run_job(job_id):
    job_run(job_id)
