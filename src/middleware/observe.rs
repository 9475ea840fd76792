//! Counts every answer for `/metrics` (by route pattern, method and status, with its
//! latency), and while the instance is stopping marks every answer `Connection:
//! close`, so a load balancer's kept-alive connections end with the answer they carry.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::ConnectionType;
use actix_web::middleware::Next;
use actix_web::{Error, web};

use crate::metrics::UNMATCHED_ROUTE;
use crate::state::AppState;

pub async fn observe_answers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return next.call(req).await;
    };
    let method = req.method().clone();
    match next.call(req).await {
        Ok(mut res) => {
            // Read after routing: the matched resource's pattern, found by index.
            // (Before routing it would take a walk over every route.)
            let route = res.request().match_pattern();
            let route = route.as_deref().unwrap_or(UNMATCHED_ROUTE);
            state
                .metrics
                .observe(&method, route, res.status().as_u16(), started.elapsed());
            if state.draining.is_on() {
                res.response_mut()
                    .head_mut()
                    .set_connection_type(ConnectionType::Close);
            }
            Ok(res)
        }
        // An error raised by a middleware leaves no request to read a route from.
        Err(err) => {
            let status = err.as_response_error().status_code().as_u16();
            state
                .metrics
                .observe(&method, UNMATCHED_ROUTE, status, started.elapsed());
            Err(err)
        }
    }
}
