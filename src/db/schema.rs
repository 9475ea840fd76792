// The tables of `migrations/{sqlite,postgres}`, in the types both backends share.
// Written by hand (diesel's generator would print backend-specific types); keep it in
// step with every migration.

diesel::table! {
    resellers (id) {
        id -> BigInt,
        name -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    domains (id) {
        id -> BigInt,
        name -> Text,
        description -> Text,
        reseller_id -> Nullable<BigInt>,
        portal_security -> Bool,
        created_at -> Timestamp,
        data_version -> BigInt,
        dead_ends -> BigInt,
        link_mail_per_day -> Integer,
        time_zone -> Text,
        require_two_step -> Bool,
        settings_version -> Integer,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        domain_id -> BigInt,
        extension -> Text,
        first_name -> Text,
        last_name -> Text,
        email -> Nullable<Text>,
        password_hash -> Nullable<Text>,
        pin_hash -> Nullable<Text>,
        scope -> Integer,
        department -> Text,
        site -> Text,
        vm_to_email -> Bool,
        vm_transcription -> Bool,
        must_change_password -> Bool,
        is_system -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> Integer,
        status -> Integer,
        search_text -> Text,
        ext_length -> Integer,
        time_zone -> Text,
        caller_id_number -> Text,
        emergency_caller_id -> Text,
    }
}

diesel::table! {
    user_counts (domain_id, is_system, status) {
        domain_id -> BigInt,
        is_system -> Bool,
        status -> Integer,
        users -> Integer,
    }
}

diesel::table! {
    devices (id) {
        id -> BigInt,
        domain_id -> BigInt,
        user_id -> BigInt,
        name -> Text,
        mac -> Nullable<Text>,
        model -> Text,
        is_primary -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    voicemail_messages (id) {
        id -> BigInt,
        domain_id -> BigInt,
        user_id -> BigInt,
        folder -> Text,
        caller -> Text,
        duration_secs -> Integer,
        received_at -> Timestamp,
    }
}

diesel::table! {
    voicemail_greetings (id) {
        id -> BigInt,
        domain_id -> BigInt,
        user_id -> BigInt,
        name -> Text,
        is_active -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    answering_rules (id) {
        id -> BigInt,
        domain_id -> BigInt,
        user_id -> BigInt,
        time_frame -> Text,
        action -> Text,
        destination -> Text,
        priority -> Integer,
        forward_user_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    contacts (id) {
        id -> BigInt,
        domain_id -> BigInt,
        user_id -> Nullable<BigInt>,
        first_name -> Text,
        last_name -> Text,
        phone -> Text,
        email -> Nullable<Text>,
    }
}

diesel::table! {
    call_history (id) {
        id -> BigInt,
        domain_id -> BigInt,
        user_id -> BigInt,
        user_name -> Text,
        direction -> Text,
        other_party -> Text,
        started_at -> Timestamp,
        duration_secs -> Integer,
    }
}

diesel::table! {
    bulk_jobs (id) {
        id -> BigInt,
        domain_id -> BigInt,
        actor_id -> Nullable<BigInt>,
        actor_login -> Text,
        kind -> Text,
        options -> Text,
        state -> Text,
        total -> Integer,
        created_at -> Timestamp,
        started_at -> Nullable<Timestamp>,
        finished_at -> Nullable<Timestamp>,
        stopped_at -> Nullable<Timestamp>,
        stopped_by -> Nullable<Text>,
    }
}

diesel::table! {
    bulk_job_items (id) {
        id -> BigInt,
        job_id -> BigInt,
        domain_id -> BigInt,
        user_id -> Nullable<BigInt>,
        extension -> Text,
        user_name -> Text,
        state -> Text,
        reason -> Nullable<Text>,
        finished_at -> Nullable<Timestamp>,
        recycled_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    audit_events (id) {
        id -> BigInt,
        domain_id -> Nullable<BigInt>,
        actor_id -> Nullable<BigInt>,
        actor_login -> Text,
        action -> Text,
        target_user_id -> Nullable<BigInt>,
        target -> Text,
        details -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    outbox (id) {
        id -> BigInt,
        domain_id -> Nullable<BigInt>,
        user_id -> Nullable<BigInt>,
        recipient -> Text,
        kind -> Text,
        subject -> Text,
        body_text -> Text,
        body_html -> Text,
        state -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    password_tokens (id) {
        id -> BigInt,
        user_id -> BigInt,
        token_hash -> Text,
        purpose -> Text,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> BigInt,
        user_id -> BigInt,
        name -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    api_idempotency (user_id, key) {
        user_id -> BigInt,
        key -> Text,
        fingerprint -> Text,
        job_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    link_mail_counts (domain_id) {
        domain_id -> BigInt,
        day -> Date,
        queued -> Integer,
    }
}

diesel::table! {
    sessions (id) {
        id -> BigInt,
        token_hash -> Text,
        user_id -> BigInt,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        expires_at -> Timestamp,
        user_agent -> Text,
        address -> Text,
        password_confirmed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    sign_in_failures (id) {
        id -> BigInt,
        login -> Text,
        address -> Text,
        failed_at -> Timestamp,
    }
}

diesel::table! {
    deleted_users (seq) {
        seq -> BigInt,
        user_id -> BigInt,
        domain_id -> BigInt,
        extension -> Text,
        first_name -> Text,
        last_name -> Text,
        email -> Nullable<Text>,
        scope -> Integer,
        deleted_at -> Timestamp,
        deleted_by -> Text,
        kept -> Text,
    }
}

diesel::table! {
    reset_undo (job_id, user_id) {
        job_id -> BigInt,
        user_id -> BigInt,
        version_after -> Integer,
        created_at -> Timestamp,
        kept -> Text,
    }
}

diesel::table! {
    import_files (id) {
        id -> BigInt,
        key -> Text,
        actor_id -> BigInt,
        domain_id -> Nullable<BigInt>,
        file_name -> Text,
        created_at -> Timestamp,
        content -> Text,
        checked -> Text,
    }
}

diesel::table! {
    import_rows (job_id, domain_id, extension) {
        job_id -> BigInt,
        domain_id -> BigInt,
        extension -> Text,
        row_number -> Integer,
        plan -> Text,
    }
}

diesel::table! {
    auto_attendants (id) {
        id -> BigInt,
        domain_id -> BigInt,
        name -> Text,
        number -> Text,
    }
}

diesel::table! {
    ring_groups (id) {
        id -> BigInt,
        domain_id -> BigInt,
        name -> Text,
        number -> Text,
        version -> Integer,
    }
}

diesel::table! {
    call_queues (id) {
        id -> BigInt,
        domain_id -> BigInt,
        name -> Text,
        number -> Text,
        version -> Integer,
    }
}

diesel::table! {
    phone_numbers (id) {
        id -> BigInt,
        domain_id -> BigInt,
        number -> Text,
        label -> Text,
        dest_kind -> Text,
        dest_user_id -> Nullable<BigInt>,
        dest_attendant_id -> Nullable<BigInt>,
        dest_ring_group_id -> Nullable<BigInt>,
        dest_queue_id -> Nullable<BigInt>,
        dest_outside -> Nullable<Text>,
        version -> Integer,
    }
}

diesel::table! {
    attendant_options (id) {
        id -> BigInt,
        domain_id -> BigInt,
        attendant_id -> BigInt,
        key -> Text,
        dest_kind -> Text,
        dest_user_id -> Nullable<BigInt>,
        dest_attendant_id -> Nullable<BigInt>,
        dest_ring_group_id -> Nullable<BigInt>,
        dest_queue_id -> Nullable<BigInt>,
        dest_outside -> Nullable<Text>,
        version -> Integer,
    }
}

diesel::table! {
    ring_group_members (id) {
        id -> BigInt,
        domain_id -> BigInt,
        ring_group_id -> BigInt,
        user_id -> BigInt,
        position -> Integer,
    }
}

diesel::table! {
    queue_agents (id) {
        id -> BigInt,
        domain_id -> BigInt,
        queue_id -> BigInt,
        user_id -> BigInt,
    }
}

diesel::table! {
    blf_keys (id) {
        id -> BigInt,
        domain_id -> BigInt,
        device_id -> BigInt,
        watched_user_id -> BigInt,
        position -> Integer,
    }
}

diesel::table! {
    authenticator_apps (user_id) {
        user_id -> BigInt,
        secret_sealed -> Text,
        last_step -> BigInt,
        created_at -> Timestamp,
        turned_on_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    passkeys (id) {
        id -> BigInt,
        user_id -> BigInt,
        name -> Text,
        credential_id -> Text,
        passkey -> Text,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    recovery_codes (id) {
        id -> BigInt,
        user_id -> BigInt,
        code_hash -> Text,
        created_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    sign_in_challenges (id) {
        id -> BigInt,
        token_hash -> Text,
        user_id -> Nullable<BigInt>,
        kind -> Text,
        state -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::joinable!(domains -> resellers (reseller_id));
diesel::joinable!(users -> domains (domain_id));
diesel::joinable!(devices -> users (user_id));
diesel::joinable!(voicemail_messages -> users (user_id));
diesel::joinable!(voicemail_greetings -> users (user_id));
diesel::joinable!(answering_rules -> users (user_id));
diesel::joinable!(contacts -> users (user_id));
diesel::joinable!(call_history -> users (user_id));
diesel::joinable!(bulk_job_items -> bulk_jobs (job_id));
diesel::joinable!(password_tokens -> users (user_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(api_tokens -> users (user_id));
diesel::joinable!(authenticator_apps -> users (user_id));
diesel::joinable!(passkeys -> users (user_id));
diesel::joinable!(recovery_codes -> users (user_id));
diesel::joinable!(attendant_options -> auto_attendants (attendant_id));
diesel::joinable!(ring_group_members -> ring_groups (ring_group_id));
diesel::joinable!(ring_group_members -> users (user_id));
diesel::joinable!(queue_agents -> call_queues (queue_id));
diesel::joinable!(queue_agents -> users (user_id));
diesel::joinable!(blf_keys -> devices (device_id));

diesel::allow_tables_to_appear_in_same_query!(
    resellers,
    authenticator_apps,
    passkeys,
    recovery_codes,
    sign_in_challenges,
    domains,
    users,
    devices,
    voicemail_messages,
    voicemail_greetings,
    answering_rules,
    contacts,
    call_history,
    bulk_jobs,
    bulk_job_items,
    audit_events,
    outbox,
    password_tokens,
    sessions,
    user_counts,
    deleted_users,
    reset_undo,
    import_files,
    import_rows,
    api_tokens,
    api_idempotency,
    link_mail_counts,
    auto_attendants,
    ring_groups,
    call_queues,
    phone_numbers,
    attendant_options,
    ring_group_members,
    queue_agents,
    blf_keys,
);
