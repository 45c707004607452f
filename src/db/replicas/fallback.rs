//! A catalogue read that fails on a replica is answered again from the primary.
//!
//! A replica can fail a query after handing out its connection: it was restarted or stopped
//! mid-request, or it cancelled the query for a recovery conflict. Rather than make every
//! handler retry, this middleware (innermost, around the routes) notes which replica served a
//! `GET`/`HEAD` request's reads; when such a request ends in a 5xx, it marks that replica down
//! (the health check restores it once it answers again) and runs the request once more with
//! every read on the primary. Only reads are retried, so running a handler twice changes nothing.
//!
//! The note is a task-local: actix polls a handler inside its middleware's future, so
//! `CatalogueReads` (called deep in a handler) and this middleware see the same scope.

use std::cell::RefCell;
use std::future::{ready, Future, Ready};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::Method;

use super::ReplicaSet;

tokio::task_local! {
    static READ_SCOPE: ReadScope;
}

/// What one request's catalogue reads did, or must do.
struct ReadScope {
    /// Send every read to the primary (the retry).
    primary_only: bool,
    /// The replica that served a read of this request (the last one, if several did).
    used: RefCell<Option<(Arc<ReplicaSet>, usize)>>,
}

/// True while the current request is being answered again from the primary.
pub(super) fn primary_only() -> bool {
    READ_SCOPE.try_with(|s| s.primary_only).unwrap_or(false)
}

/// Notes that replica `index` of `set` served a read of the current request.
pub(super) fn note_replica_read(set: &Arc<ReplicaSet>, index: usize) {
    let _ = READ_SCOPE.try_with(|s| *s.used.borrow_mut() = Some((set.clone(), index)));
}

/// The middleware: wrap it innermost (`App::wrap` first), so authentication, rate limits and
/// logging run once per request, not once per attempt.
pub struct ReplicaFallback;

impl<S, B> Transform<S, ServiceRequest> for ReplicaFallback
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<B>;
    type Error = actix_web::Error;
    type Transform = ReplicaFallbackService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(ReplicaFallbackService {
            service: Rc::new(service),
        }))
    }
}

pub struct ReplicaFallbackService<S> {
    service: Rc<S>,
}

type LocalFuture<T> = Pin<Box<dyn Future<Output = T>>>;

impl<S, B> Service<ServiceRequest> for ReplicaFallbackService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<B>;
    type Error = actix_web::Error;
    type Future = LocalFuture<Result<Self::Response, Self::Error>>;

    actix_web::dev::forward_ready!(service);

    fn call(&self, request: ServiceRequest) -> Self::Future {
        let service = self.service.clone();
        Box::pin(async move {
            if !matches!(*request.method(), Method::GET | Method::HEAD) {
                return service.call(request).await;
            }
            let scope = ReadScope {
                primary_only: false,
                used: RefCell::new(None),
            };
            let (response, used) = READ_SCOPE
                .scope(scope, async {
                    let response = service.call(request).await;
                    (response, READ_SCOPE.with(|s| s.used.borrow_mut().take()))
                })
                .await;
            let response = response?;
            let Some((set, index)) = used.filter(|_| response.status().is_server_error()) else {
                return Ok(response);
            };
            set.replicas[index].mark_down("a read failed on it; the request was answered from the primary");
            // The failed response owns the request again (every clone the handler held is gone),
            // so it can be routed afresh: with an empty payload (GET/HEAD) and cleared path match.
            let (request, failed) = response.into_parts();
            drop(failed);
            let mut retry = ServiceRequest::from_request(request);
            retry.match_info_mut().reset();
            let again = ReadScope {
                primary_only: true,
                used: RefCell::new(None),
            };
            READ_SCOPE.scope(again, service.call(retry)).await
        })
    }
}
