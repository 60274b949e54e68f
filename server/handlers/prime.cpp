#include "server/handlers/prime.h"

#include "common/decimal.h"
#include "server/loop_context.h"
#include "server/query_params.h"

namespace loadlab::server {

RouteResult parse_prime_route(std::string_view number, std::string_view query,
                              const RouterLimits&) {
  const auto n = parse_decimal_u64(number);
  if (!n) {
    return HttpError{400, "n must be an unsigned 64-bit decimal number, got '" +
                              std::string(number.substr(0, 64)) + "'"};
  }
  PrimeMethod method = PrimeMethod::kTrial;
  auto parsed = QueryParams::parse(query, {"method"});
  if (const auto* error = std::get_if<ParamError>(&parsed)) return HttpError{400, error->message};
  if (const auto name = std::get<QueryParams>(parsed).get("method")) {
    if (*name == "trial") {
      method = PrimeMethod::kTrial;
    } else if (*name == "mr") {
      method = PrimeMethod::kMillerRabin;
    } else {
      return HttpError{
          400, "method must be 'trial' or 'mr', got '" + std::string(name->substr(0, 32)) + "'"};
    }
  }
  return Route{RouteKind::kPrime, *n, method};
}

Reply PrimeHandler::handle(const Request& request) {
  PrimeService* prime = loop_.shared().prime;
  if (prime == nullptr)
    return Reply::answer(error_response(loop_, 503, "the /prime worker pool is not running"));
  loop_.prime_jobs_outstanding(1);  // before submit: it may answer at once (queue full)
  prime->submit(loop_, request.ref, PrimeRequest{request.route.number, request.route.prime_method});
  return Reply::later();
}

void PrimeHandler::cancel(ExchangeRef ref, std::uint32_t) {
  if (ref.connection_id != last_cancelled_connection_) {
    last_cancelled_connection_ = ref.connection_id;
    if (PrimeService* prime = loop_.shared().prime) prime->cancel(loop_, ref.connection_id);
  }
  loop_.prime_jobs_outstanding(-1);
}

void PrimeHandler::answered(ExchangeRef, std::uint32_t) { loop_.prime_jobs_outstanding(-1); }

}  // namespace loadlab::server
