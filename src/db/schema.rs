//! The database schema, kept by hand in types both backends share (see STYLE.md).

diesel::table! {
    users (id) {
        id -> Text,
        email -> Text,
        name -> Text,
        role -> Text,
        title -> Nullable<Text>,
        timezone -> Text,
        working_hours -> Text,
        password_hash -> Nullable<Text>,
        active -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    api_keys (id) {
        id -> Text,
        name -> Text,
        role -> Text,
        key_prefix -> Text,
        key_hash -> Text,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    sessions (token_hash) {
        token_hash -> Text,
        user_id -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Text,
        at -> Timestamp,
        actor -> Text,
        action -> Text,
        entity_type -> Text,
        entity_id -> Text,
        from_status -> Nullable<Text>,
        to_status -> Nullable<Text>,
        note -> Nullable<Text>,
    }
}

diesel::joinable!(sessions -> users (user_id));

diesel::table! {
    leads (id) {
        id -> Text,
        email -> Text,
        external_id -> Nullable<Text>,
        name -> Text,
        company -> Nullable<Text>,
        title -> Nullable<Text>,
        phone -> Nullable<Text>,
        source -> Nullable<Text>,
        campaign -> Nullable<Text>,
        timezone -> Nullable<Text>,
        bant_budget -> Bool,
        bant_authority -> Bool,
        bant_need -> Bool,
        bant_timing -> Text,
        attributes -> Text,
        score -> Integer,
        temperature -> Text,
        stage -> Text,
        score_explanation -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        owner_id -> Nullable<Text>,
        first_touch -> Nullable<Text>,
        last_touch -> Nullable<Text>,
    }
}

diesel::table! {
    meeting_types (id) {
        id -> Text,
        slug -> Text,
        name -> Text,
        duration_minutes -> Integer,
        host_mode -> Text,
        buffer_before_minutes -> Integer,
        buffer_after_minutes -> Integer,
        min_notice_minutes -> Integer,
        max_days_ahead -> Integer,
        slot_step_minutes -> Integer,
        max_per_day_per_host -> Nullable<Integer>,
        requires_approval -> Bool,
        auto_approve_min_score -> Nullable<Integer>,
        min_lead_score -> Nullable<Integer>,
        location -> Nullable<Text>,
        survey -> Bool,
        active -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        round_robin_window_days -> Integer,
    }
}

diesel::table! {
    meeting_type_hosts (meeting_type_id, user_id) {
        meeting_type_id -> Text,
        user_id -> Text,
        position -> Integer,
    }
}

diesel::table! {
    meeting_requests (id) {
        id -> Text,
        lead_id -> Text,
        meeting_type_id -> Text,
        status -> Text,
        notes -> Nullable<Text>,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        lead_campaign -> Nullable<Text>,
        lead_source -> Nullable<Text>,
        approved_at -> Nullable<Timestamp>,
        approved_from_pending -> Bool,
        attribution -> Nullable<Text>,
        prospect_language -> Text,
    }
}

diesel::table! {
    meeting_request_hosts (meeting_request_id, user_id) {
        meeting_request_id -> Text,
        user_id -> Text,
    }
}

diesel::table! {
    booking_links (id) {
        id -> Text,
        slug -> Text,
        meeting_type_id -> Text,
        lead_id -> Nullable<Text>,
        expires_at -> Nullable<Timestamp>,
        max_uses -> Nullable<Integer>,
        uses -> Integer,
        active -> Bool,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    meetings (id) {
        id -> Text,
        meeting_request_id -> Text,
        status -> Text,
        start_utc -> Timestamp,
        end_utc -> Timestamp,
        prospect_timezone -> Text,
        ics_uid -> Text,
        sequence -> Integer,
        location -> Nullable<Text>,
        manage_token_hash -> Nullable<Text>,
        booking_link_id -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        requested_at -> Nullable<Timestamp>,
        meeting_type_id -> Nullable<Text>,
        lead_campaign -> Nullable<Text>,
        lead_source -> Nullable<Text>,
        prospect_key -> Nullable<Text>,
    }
}

diesel::table! {
    meeting_hosts (meeting_id, user_id) {
        meeting_id -> Text,
        user_id -> Text,
        meeting_status -> Text,
        start_second -> BigInt,
        end_second -> BigInt,
    }
}

diesel::table! {
    host_time_blocks (user_id, block_start) {
        user_id -> Text,
        block_start -> Timestamp,
        meeting_id -> Text,
    }
}

diesel::table! {
    server_secrets (name) {
        name -> Text,
        value -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    emails (id) {
        id -> Text,
        kind -> Text,
        dedupe_key -> Text,
        meeting_id -> Nullable<Text>,
        meeting_request_id -> Nullable<Text>,
        recipient_email -> Text,
        recipient_name -> Text,
        subject -> Text,
        body_text -> Text,
        body_html -> Text,
        ics_method -> Nullable<Text>,
        ics -> Nullable<Text>,
        status -> Text,
        send_after -> Timestamp,
        not_after -> Nullable<Timestamp>,
        attempts -> Integer,
        last_error -> Nullable<Text>,
        locked_by -> Nullable<Text>,
        locked_until -> Nullable<Timestamp>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    availability_version (id) {
        id -> Integer,
        version -> BigInt,
    }
}

diesel::joinable!(meeting_type_hosts -> meeting_types (meeting_type_id));
diesel::joinable!(emails -> meetings (meeting_id));
diesel::joinable!(booking_links -> meeting_types (meeting_type_id));
diesel::joinable!(meetings -> meeting_requests (meeting_request_id));
diesel::joinable!(meeting_hosts -> meetings (meeting_id));
diesel::joinable!(host_time_blocks -> meetings (meeting_id));
diesel::joinable!(meeting_type_hosts -> users (user_id));
diesel::joinable!(meeting_requests -> leads (lead_id));
diesel::joinable!(meeting_requests -> meeting_types (meeting_type_id));
diesel::joinable!(meeting_request_hosts -> meeting_requests (meeting_request_id));
diesel::joinable!(meeting_request_hosts -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(
    users,
    api_keys,
    sessions,
    leads,
    meeting_types,
    meeting_type_hosts,
    meeting_requests,
    meeting_request_hosts,
    booking_links,
    meetings,
    meeting_hosts,
    host_time_blocks,
    audit_log,
    emails,
    server_secrets,
    meeting_outcomes,
    opportunities,
    opportunity_stage_changes,
    survey_invitations,
    survey_responses,
    availability_version,
    calendar_connections,
    oauth_states,
    calendar_busy,
    calendar_events
);

diesel::table! {
    meeting_outcomes (meeting_id) {
        meeting_id -> Text,
        status -> Text,
        notes -> Nullable<Text>,
        next_step -> Nullable<Text>,
        recorded_by -> Text,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    opportunities (id) {
        id -> Text,
        meeting_id -> Text,
        amount_minor -> BigInt,
        currency -> Text,
        stage -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    opportunity_stage_changes (id) {
        id -> Text,
        opportunity_id -> Text,
        stage -> Text,
        amount_minor -> BigInt,
        currency -> Text,
        changed_by -> Text,
        changed_at -> Timestamp,
    }
}

diesel::table! {
    survey_invitations (id) {
        id -> Text,
        meeting_id -> Text,
        recipient -> Text,
        token_hash -> Text,
        expires_at -> Timestamp,
        created_at -> Timestamp,
    }
}

diesel::table! {
    survey_responses (invitation_id) {
        invitation_id -> Text,
        meeting_id -> Text,
        rating -> Integer,
        buyer_intent -> Text,
        comments -> Nullable<Text>,
        answered_at -> Timestamp,
    }
}

diesel::joinable!(meeting_outcomes -> meetings (meeting_id));
diesel::joinable!(opportunities -> meetings (meeting_id));
diesel::joinable!(opportunity_stage_changes -> opportunities (opportunity_id));
diesel::joinable!(survey_invitations -> meetings (meeting_id));
diesel::joinable!(survey_responses -> survey_invitations (invitation_id));

diesel::table! {
    calendar_connections (id) {
        id -> Text,
        user_id -> Text,
        provider -> Text,
        status -> Text,
        account_email -> Nullable<Text>,
        access_token -> Nullable<Text>,
        refresh_token -> Nullable<Text>,
        access_expires_at -> Nullable<Timestamp>,
        scopes -> Text,
        last_synced_at -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        busy_from -> Nullable<Timestamp>,
        busy_to -> Nullable<Timestamp>,
        busy_read_at -> Nullable<Timestamp>,
        read_error -> Nullable<Text>,
        alerted_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    oauth_states (state_hash) {
        state_hash -> Text,
        connection_id -> Text,
        code_verifier -> Text,
        expires_at -> Timestamp,
        created_at -> Timestamp,
    }
}

diesel::table! {
    calendar_busy (connection_id, start_utc, end_utc) {
        connection_id -> Text,
        user_id -> Text,
        start_utc -> Timestamp,
        end_utc -> Timestamp,
    }
}

diesel::table! {
    calendar_events (id) {
        id -> Text,
        meeting_id -> Text,
        user_id -> Text,
        provider -> Text,
        external_id -> Nullable<Text>,
        removed -> Bool,
        version -> Integer,
        synced_version -> Integer,
        next_attempt_at -> Nullable<Timestamp>,
        attempts -> Integer,
        last_error -> Nullable<Text>,
        locked_by -> Nullable<Text>,
        locked_until -> Nullable<Timestamp>,
        synced_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(calendar_connections -> users (user_id));
diesel::joinable!(oauth_states -> calendar_connections (connection_id));
diesel::joinable!(calendar_busy -> calendar_connections (connection_id));
diesel::joinable!(calendar_events -> meetings (meeting_id));

diesel::table! {
    events (seq) {
        seq -> BigInt,
        id -> Text,
        event_type -> Text,
        subject_id -> Nullable<Text>,
        data -> Text,
        occurred_at -> Timestamp,
    }
}

diesel::table! {
    webhook_subscriptions (id) {
        id -> Text,
        url -> Text,
        events -> Text,
        description -> Nullable<Text>,
        status -> Text,
        secret -> Text,
        previous_secret -> Nullable<Text>,
        previous_secret_expires_at -> Nullable<Timestamp>,
        failing_since -> Nullable<Timestamp>,
        disabled_reason -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> Text,
        subscription_id -> Text,
        event_id -> Text,
        event_type -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Nullable<Timestamp>,
        last_attempt_at -> Nullable<Timestamp>,
        last_status_code -> Nullable<Integer>,
        last_error -> Nullable<Text>,
        last_duration_ms -> Nullable<Integer>,
        delivered_at -> Nullable<Timestamp>,
        locked_by -> Nullable<Text>,
        locked_until -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::joinable!(webhook_deliveries -> webhook_subscriptions (subscription_id));
diesel::allow_tables_to_appear_in_same_query!(events, webhook_subscriptions, webhook_deliveries);

diesel::table! {
    sso_sign_ins (state_hash) {
        state_hash -> Text,
        browser_hash -> Text,
        nonce -> Text,
        code_verifier -> Text,
        return_to -> Text,
        expires_at -> Timestamp,
        created_at -> Timestamp,
    }
}

diesel::table! {
    routers (id) {
        id -> Text,
        slug -> Text,
        name -> Text,
        version -> Integer,
        rules -> Text,
        fallback -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        deleted_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    router_versions (router_id, version) {
        router_id -> Text,
        version -> Integer,
        name -> Text,
        rules -> Text,
        fallback -> Text,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    meeting_type_host_weights (meeting_type_id, user_id) {
        meeting_type_id -> Text,
        user_id -> Text,
        weight -> Integer,
        priority -> Integer,
    }
}

diesel::table! {
    routings (id) {
        id -> Text,
        router_id -> Text,
        router_version -> Integer,
        lead_id -> Text,
        decision -> Text,
        matched_rule -> Text,
        explanation -> Text,
        meeting_type_id -> Nullable<Text>,
        host_ids -> Text,
        booking_link_id -> Nullable<Text>,
        meeting_request_id -> Nullable<Text>,
        booked_at -> Nullable<Timestamp>,
        follow_up_due_at -> Nullable<Timestamp>,
        follow_up_sent_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    round_robin_assignments (id) {
        id -> Text,
        meeting_type_id -> Text,
        host_id -> Text,
        routing_id -> Nullable<Text>,
        meeting_request_id -> Nullable<Text>,
        owner_routed -> Bool,
        assigned_at -> Timestamp,
    }
}

diesel::joinable!(router_versions -> routers (router_id));
diesel::joinable!(routings -> routers (router_id));
diesel::joinable!(routings -> leads (lead_id));
diesel::allow_tables_to_appear_in_same_query!(
    routers,
    router_versions,
    routings,
    leads,
    meeting_type_host_weights,
    round_robin_assignments
);

diesel::table! {
    password_links (id) {
        id -> Text,
        user_id -> Text,
        purpose -> Text,
        token_hash -> Text,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::joinable!(password_links -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(password_links, users);

diesel::table! {
    crm_records (id) {
        id -> Text,
        provider -> Text,
        kind -> Text,
        record_id -> Text,
        lead_id -> Text,
        external_id -> Nullable<Text>,
        external_type -> Nullable<Text>,
        status -> Text,
        version -> Integer,
        synced_version -> Integer,
        attempts -> Integer,
        next_attempt_at -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        locked_by -> Nullable<Text>,
        locked_until -> Nullable<Timestamp>,
        synced_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    crm_owners (provider, kind, match_key) {
        provider -> Text,
        kind -> Text,
        match_key -> Text,
        owner_email -> Text,
        refreshed_at -> Timestamp,
    }
}

diesel::table! {
    crm_owner_pulls (provider) {
        provider -> Text,
        pulled_at -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        updated_at -> Timestamp,
    }
}
