using System.Diagnostics;
using Distill.TeacherServer.Api;
using Distill.TeacherServer.Hosting;
using Distill.TeacherServer.Memory;
using Distill.TeacherServer.Models;
using Microsoft.Extensions.Options;
using Microsoft.ML.OnnxRuntime;

namespace Distill.TeacherServer.Compatible;

/// <summary>
/// The teacher protocol of vLLM's OpenAI-compatible server (GET /health, POST /v1/completions with prompt_logprobs) and
/// SGLang's POST /generate: other bodies for the work /topk does, through the same admission, budgets, API key,
/// batcher and prefix cache. Errors are vLLM's {"error": {…}} body.
/// </summary>
public static class CompatibleApi
{
    public static IEndpointRouteBuilder MapCompatibleApi(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/health", () => TypedResults.Ok()).WithTags("Compatible")
            .WithSummary("200 while the server runs (vLLM's and SGLang's liveness check; /health/ready says whether a model is loaded).");

        var compatible = routes.MapGroup("").AddEndpointFilter<OpenAiErrorFilter>().AddEndpointFilter<ApiKeyFilter>().WithTags("Compatible");
        compatible.MapPost("/v1/completions", Completions).WithName("Completions")
            .WithSummary("vLLM's completions: prompt as token ids (or text), max_tokens, temperature, prompt_logprobs k (at τ = 1).")
            .Accepts<CompletionBody>(Shared.Wire.WireMediaTypes.Json);
        compatible.MapPost("/generate", Generate).WithName("SglangGenerate")
            .WithSummary("SGLang's generate: input_ids, sampling_params, return_logprob, logprob_start_len, top_logprobs_num.")
            .Accepts<SglangGenerateBody>(Shared.Wire.WireMediaTypes.Json);
        return routes;
    }

    public static Task<IResult> Completions(HttpContext context, ModelRegistry registry, MemoryBudgets budgets,
        IOptions<TeacherServerOptions> options, ILoggerFactory loggers, CancellationToken cancellation) =>
        AnswerAsync(CompletionRequestDecoder.Instance, "completions", context, registry, budgets, options.Value, loggers, cancellation,
            (request, model, scored) => new CompletionAnswer(request, model, scored));

    public static Task<IResult> Generate(HttpContext context, ModelRegistry registry, MemoryBudgets budgets,
        IOptions<TeacherServerOptions> options, ILoggerFactory loggers, CancellationToken cancellation) =>
        AnswerAsync(SglangRequestDecoder.Instance, "sglang-generate", context, registry, budgets, options.Value, loggers, cancellation,
            (request, model, scored) => new SglangAnswer(request, model, scored));

    private static async Task<IResult> AnswerAsync(CompatibleRequestDecoder decoder, string endpoint, HttpContext context, ModelRegistry registry,
        MemoryBudgets budgets, TeacherServerOptions settings, ILoggerFactory loggers, CancellationToken cancellation,
        Func<CompatibleRequest, LoadedModel, ScoredPrompt[], IResult> answer)
    {
        using var admission = await RequestAdmission.AdmitAsync(ModelRoute<CompatibleRequest>.FromBody(ModelRouting.Choose), context, registry, budgets, settings, decoder,
            (request, model) => CompatibleValidation.Check(request, model, settings.MaxK, settings.MaxNewTokens), CompatibleValidation.AnswerBytes,
            loggers.CreateLogger(typeof(RequestAdmission)), cancellation);
        if (admission.Failed)
        {
            return admission.Problem;
        }
        var served = admission.Lease.Model;
        var started = Stopwatch.GetTimestamp();
        ScoredPrompt[] scored;
        try
        {
            scored = await PromptScoring.RunAsync(admission.Request, admission.Lease, cancellation);
        }
        catch (Exception e) when (e is OnnxRuntimeException or ObjectDisposedException)
        {
            return Problems.Unavailable($"Model '{served.Name}' failed to run the batch: {e.Message}");
        }
        TeacherMetrics.RequestSeconds.WithLabels(served.Name, endpoint).Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
        TeacherMetrics.TokensServed.WithLabels(served.Name).Inc(scored.Sum(s => s.Prompt.Length + s.Generated.Length));
        return answer(admission.Request, served, scored);
    }
}
