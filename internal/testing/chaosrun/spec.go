package chaosrun

// TinesAuditSpec is internal/apispec/builtin/tines_audit_logs.yaml as a user
// would paste it under `custom:` (a test keeps the two equal).
const TinesAuditSpec = `
endpoint_example: https://<tenant>.tines.com
options:
  operation_names: {type: string_list}
  user_ids: {type: int_list}
request:
  method: GET
  path: /api/v1/audit_logs
  query:
    after: "{{window_start}}"
    before: "{{window_end}}"
    per_page: "{{page_size}}"
    page: "{{page}}"
    "operation_name[]": "{{list:operation_names}}"
    "user_id[]": "{{list:user_ids}}"
time_filter:
  format: rfc3339
pagination:
  type: page
  first_page: 1
  next_path: meta.next_page
  page_size_path: meta.per_page
  default_page_size: 20
  max_page_size: 500
records:
  path: audit_logs
  order: newest_first
  id_field: id
  time_field: created_at
  time_format: rfc3339
  time_precision: 1s
  event_name: tines.audit_log
  # The record's fields, as one attribute map (see records.attributes_namespace).
  attributes_namespace: tines
  # "Login by Example User <user@example.com> from 216.160.83.56"
  message:
    - {field: operation_name}
    - {field: user_name, prefix: " by "}
    - {field: user_email, prefix: " <", suffix: ">"}
    - {field: request_ip, prefix: " from "}
severity:
  default: INFO
auth:
  type: bearer
requests_per_minute: 1000
max_requests_per_minute: 1000
budget: tines_audit_logs
`
