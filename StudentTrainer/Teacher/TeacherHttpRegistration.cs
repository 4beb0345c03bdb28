using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Polly;

namespace Distill.StudentTrainer.Teacher;

/// <summary>Registers the teacher's HttpClient: infinite HttpClient timeout (the pipeline times attempts) and the resilience handler.</summary>
public static class TeacherHttpRegistration
{
    /// <summary>Name of the HttpClient registration; every server (authority) gets its own pipeline and so its own circuit.</summary>
    public const string ClientName = "Distill.Teacher";

    /// <summary>
    /// Adds the named client <see cref="ClientName"/> with, outermost first: a total timeout, retries with exponential
    /// backoff and jitter honouring <c>Retry-After</c> (connection errors, timeouts, 408, 429, 5xx), a circuit breaker,
    /// and a per-attempt timeout. Other 4xx answers pass through at once.
    /// </summary>
    public static IHttpClientBuilder AddTeacherHttpClient(this IServiceCollection services, TeacherClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var builder = services.AddHttpClient(ClientName, http =>
        {
            http.Timeout = Timeout.InfiniteTimeSpan;
            if (options.ApiKey is { Length: > 0 } key) http.DefaultRequestHeaders.Add("X-Api-Key", key);
        });
        builder.AddResilienceHandler("teacher", pipeline => ConfigurePipeline(pipeline, options)).SelectPipelineByAuthority();
        return builder;
    }

    private static void ConfigurePipeline(ResiliencePipelineBuilder<HttpResponseMessage> pipeline, TeacherClientOptions options)
    {
        pipeline.AddTimeout(new HttpTimeoutStrategyOptions { Name = "total", Timeout = options.TotalTimeout });
        if (options.MaxRetryAttempts > 0)
        {
            pipeline.AddRetry(new HttpRetryStrategyOptions
            {
                MaxRetryAttempts = options.MaxRetryAttempts,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryBaseDelay,
                MaxDelay = options.RetryMaxDelay,
                ShouldRetryAfterHeader = true,
                ShouldHandle = args => ValueTask.FromResult(
                    !args.Context.CancellationToken.IsCancellationRequested
                    && !TeacherRequestOptions.IsSingleAttempt(args.Context.GetRequestMessage())
                    && HttpClientResiliencePredicates.IsTransient(args.Outcome)),
            });
        }
        pipeline.AddCircuitBreaker(new HttpCircuitBreakerStrategyOptions
        {
            FailureRatio = options.CircuitFailureRatio,
            MinimumThroughput = options.CircuitMinimumThroughput,
            SamplingDuration = options.CircuitSamplingDuration,
            BreakDuration = options.CircuitBreakDuration,
            // Probes of a server known to be down must not keep its circuit open once it is back.
            ShouldHandle = args => ValueTask.FromResult(
                !TeacherRequestOptions.IsSingleAttempt(args.Context.GetRequestMessage()) && HttpClientResiliencePredicates.IsTransient(args.Outcome)),
        });
        pipeline.AddTimeout(new HttpTimeoutStrategyOptions { Name = "attempt", Timeout = options.AttemptTimeout });
    }
}
