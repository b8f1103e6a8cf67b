"""Job handlers used by the job tests (real handlers live in the wings)."""

from jobs.services import JobFailed, job_file


def count_to(job, progress, *, n, write=False):
    for i in range(n):
        progress(i, n, f"第 {i + 1} 步")
    if write:
        path = job_file(job, ".txt")
        path.write_text("完成", encoding="utf-8")
        job.file_path, job.file_name = str(path), "结果.txt"
    return {"message": f"共 {n} 步。", "lines": [f"步数 {n}"]}


def refuse(job, progress):
    raise JobFailed("文件中有 3 处错误，未导入任何数据。")


def crash(job, progress):
    raise RuntimeError("boom")


def progress_seen_from_outside(job, progress):
    """Report progress inside one long transaction and read it back on another connection."""
    from django.db import connection, transaction

    from jobs.models import Job

    with transaction.atomic():
        progress(5, 10, "一半")
        other = connection.copy()
        try:
            with other.cursor() as cursor:
                cursor.execute(f"SELECT done, total FROM {Job._meta.db_table} WHERE id = %s", [job.pk])
                seen = cursor.fetchone()
        finally:
            other.close()
    return {"seen": list(seen)}
