using System.Diagnostics;
using Distill.Shared.Wire;
using Distill.TeacherServer.Batching;
using Distill.TeacherServer.Compatible;
using Distill.TeacherServer.Generation;
using Distill.TeacherServer.Hosting;
using Distill.TeacherServer.Memory;
using Distill.TeacherServer.Models;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Microsoft.ML.OnnxRuntime;

namespace Distill.TeacherServer.Api;

/// <summary>The /v1 endpoints: model list, top-k and generate.</summary>
public static class TeacherApi
{
    public static IEndpointRouteBuilder MapTeacherApi(this IEndpointRouteBuilder routes)
    {
        var v1 = routes.MapGroup("/v1").AddEndpointFilter<ApiKeyFilter>().WithTags("Teacher")
            .ProducesProblem(StatusCodes.Status401Unauthorized);

        v1.MapGet("/models", ListModels).WithName("ListModels")
            .WithSummary("Models being served, with version, vocabulary and tokenizer fingerprint.");

        v1.MapPost("/models/{name}/topk", TopK).WithName("TopK")
            .WithSummary("Top-k next-token log-probs of every position of a batch of sequences.")
            .WithDescription("Body: JSON TopKRequest or application/vnd.distill.topk. 'start' asks for positions from that index on; 'starts' gives each sequence its own start. Answer: JSON, or binary when Accept is application/vnd.distill.topk (add '; precision=float16' for float16 log-probs, '; ids=uint16' for 16-bit ids).")
            .Accepts<TopKRequest>(WireMediaTypes.Json, WireMediaTypes.TopKBinary)
            .Produces<TopKResponse>(StatusCodes.Status200OK, WireMediaTypes.Json, WireMediaTypes.TopKBinary)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge).ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status429TooManyRequests).ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        v1.MapPost("/models/{name}/generate", Generate).WithName("Generate")
            .WithSummary("Sampled continuations of prompts (temperature, top-p, seed, stop at eos).")
            .Accepts<GenerateRequest>(WireMediaTypes.Json)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge).ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status429TooManyRequests).ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return routes;
    }

    /// <summary>The served models in this server's list ("models") and in OpenAI's ("object": "list", "data").</summary>
    public static Ok<ModelListAnswer> ListModels(ModelRegistry registry) => TypedResults.Ok(ModelListAnswer.Of(registry.Models));

    public static async Task<Results<TopKAnswer, ProblemHttpResult>> TopK(string name, HttpContext context, ModelRegistry registry,
        MemoryBudgets budgets, IOptions<TeacherServerOptions> options, ILoggerFactory loggers, CancellationToken cancellation)
    {
        var settings = options.Value;
        using var admission = await RequestAdmission.AdmitAsync(ModelRoute<TopKRequest>.Named(name), context, registry, budgets, settings, TopKRequestDecoder.Instance,
            (request, model) => RequestValidation.TopK(request, model, settings.MaxK), TopKAnswerBytes, loggers.CreateLogger(typeof(RequestAdmission)), cancellation);
        if (admission.Failed)
        {
            return admission.Problem;
        }
        var request = admission.Request;
        var served = admission.Lease.Model;
        var started = Stopwatch.GetTimestamp();
        var rows = admission.Lease.SubmitLast(request.Sequences.Select((s, i) => new RowWork(s, request.K, request.Temperature, false, cancellation, request.StartOf(i))).ToArray());
        RowResult[] results;
        try
        {
            results = await Task.WhenAll(rows);
        }
        catch (Exception e) when (e is OnnxRuntimeException or ObjectDisposedException)
        {
            return Problems.Unavailable($"Model '{served.Name}' failed to run the batch: {e.Message}");
        }
        var answer = new TopKResult(served.Name, served.Version, request.K, results.Select(r => r.TopK).ToArray(), request.Start, request.Starts);

        TeacherMetrics.RequestSeconds.WithLabels(served.Name, "topk").Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
        TeacherMetrics.TokensServed.WithLabels(served.Name).Inc(answer.Positions);
        var (answerEncoding, precision, ids) = ContentNegotiation.AnswerEncoding(context.Request, served.VocabSize);
        TeacherMetrics.TopKRequests.WithLabels(served.Name, answerEncoding == WireEncoding.Binary ? "binary" : "json").Inc();
        return new TopKAnswer(answer, answerEncoding, precision, ids);
    }

    /// <summary>What a top-k answer holds until it is sent: ids, log-probs and next-token log-probs of every answered position (the float32 binary payload).</summary>
    public static long TopKAnswerBytes(TopKRequest request, LoadedModel model) =>
        request.Sequences.Select((s, i) => (long)Math.Max(1, s.Length - Math.Max(0, request.StartOf(i)))).Sum() * TopKBinaryCodec.BytesPerPosition(request.K, LogprobPrecision.Float32);

    /// <summary>What a generate request holds while it runs: per prompt, the last logits and the sampler's probabilities (12 bytes a vocabulary entry) and its growing sequence.</summary>
    public static long GenerateAnswerBytes(GenerateRequest request, LoadedModel model) => GenerationBytes(request.Prompts.Length, model);

    /// <summary>What generating after <paramref name="prompts"/> prompts holds (see <see cref="GenerateAnswerBytes"/>).</summary>
    public static long GenerationBytes(int prompts, LoadedModel model) => prompts * (12L * model.VocabSize + 16L * model.ContextLength);

    public static async Task<Results<Ok<GenerateResponse>, ProblemHttpResult>> Generate(string name, HttpContext context, ModelRegistry registry,
        MemoryBudgets budgets, IOptions<TeacherServerOptions> options, ILoggerFactory loggers, CancellationToken cancellation)
    {
        var settings = options.Value;
        using var admission = await RequestAdmission.AdmitAsync(ModelRoute<GenerateRequest>.Named(name), context, registry, budgets, settings, GenerateRequestDecoder.Instance,
            (request, model) => RequestValidation.Generate(request, model, settings.MaxNewTokens), GenerateAnswerBytes, loggers.CreateLogger(typeof(RequestAdmission)), cancellation);
        if (admission.Failed)
        {
            return admission.Problem;
        }
        var request = admission.Request;
        var served = admission.Lease.Model;
        var started = Stopwatch.GetTimestamp();
        var seed = request.Seed ?? Random.Shared.Next();
        Completion[] completions;
        try
        {
            completions = await Task.WhenAll(request.Prompts.Select((prompt, i) =>
                Sampling.CompleteAsync(served, prompt, request, unchecked(seed + i), cancellation)));
        }
        catch (Exception e) when (e is OnnxRuntimeException or ObjectDisposedException)
        {
            return Problems.Unavailable($"Model '{served.Name}' failed to run a generation step: {e.Message}");
        }
        TeacherMetrics.RequestSeconds.WithLabels(served.Name, "generate").Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
        TeacherMetrics.GenerateRequests.WithLabels(served.Name).Inc();
        TeacherMetrics.TokensServed.WithLabels(served.Name).Inc(completions.Sum(c => c.Tokens.Length));
        return TypedResults.Ok(new GenerateResponse(served.Name, served.Version, seed, completions));
    }
}
