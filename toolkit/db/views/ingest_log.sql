-- ingest_log: one row per attempt to ingest a file. Key: attempt_id.
-- status: loaded, salvaged (a damaged device file: the complete records before the byte in
-- error_position were kept), duplicate (same sha256 already loaded; nothing written), rejected
-- or removed.
with source as (
    select * from raw_ingest_log
),

final as (
    select
        attempt_id,
        path,
        sha256,
        format,
        status,
        rows_json as rows,
        error,
        error_position,
        toolkit_version,
        ingested_at
    from source
)

select * from final
