using Distill.Shared.Wire;
using Distill.TeacherServer.Api;
using Distill.TeacherServer.Models;

namespace Distill.TeacherServer.Compatible;

/// <summary>Checks a compatible request against the model that will answer it (tokenising text prompts first); each check returns the 400 detail or null.</summary>
public static class CompatibleValidation
{
    public static string? Check(CompatibleRequest request, LoadedModel model, int maxK, int maxNewTokens)
    {
        if (request.Prompts.Resolve(model) is { } unresolved)
        {
            return unresolved;
        }
        var kLimit = Math.Min(maxK, model.VocabSize);
        if (request.TopLogprobs is { } k && (k < 0 || k > kLimit))
        {
            return $"Requested prompt logprobs of {k}, which is outside [0, {kLimit}] (the server's max k, MaxK, and the vocabulary size).";
        }
        if (request.MaxNewTokens < 0 || request.MaxNewTokens > maxNewTokens)
        {
            return $"max_tokens = {request.MaxNewTokens} is outside [0, {maxNewTokens}].";
        }
        if (!(float.IsFinite(request.Temperature) && request.Temperature >= 0))
        {
            return $"temperature = {request.Temperature} must be finite and at least 0.";
        }
        if (!(request.TopP > 0 && request.TopP <= 1))
        {
            return $"top_p = {request.TopP} is outside (0, 1].";
        }
        if (request.LogprobStart < -1)
        {
            return $"logprob_start_len = {request.LogprobStart} is below -1.";
        }
        return RequestValidation.Sequences(request.Ids, "prompt", model, model.ContextLength - request.MaxNewTokens) ?? Start(request);
    }

    private static string? Start(CompatibleRequest request)
    {
        var shortest = request.Ids.Min(p => p.Length);
        return request.LogprobStart < shortest
            ? null
            : $"logprob_start_len = {request.LogprobStart} is past the end: the shortest prompt has {shortest} tokens.";
    }

    /// <summary>
    /// What the answer holds until it is sent: each answered position's top-k (at least one entry, as run), next-token
    /// log-prob and rank, and per generating prompt what a generate request holds.
    /// </summary>
    public static long AnswerBytes(CompatibleRequest request, LoadedModel model)
    {
        var bytes = 0L;
        if (request.WantsPromptLogprobs)
        {
            var k = Math.Max(1, request.TopLogprobs!.Value);
            var positions = request.Ids.Sum(p => (long)p.Length - RowStart(request, p.Length));
            bytes += positions * (TopKBinaryCodec.BytesPerPosition(k, LogprobPrecision.Float32) + sizeof(int));
        }
        if (request.MaxNewTokens > 0)
        {
            bytes += TeacherApi.GenerationBytes(request.Ids.Length, model);
        }
        return bytes;
    }

    /// <summary>The first position the scoring row answers: the one predicting the first answered prompt token.</summary>
    public static int RowStart(CompatibleRequest request, int length) => Math.Clamp(request.LogprobStart - 1, 0, length - 1);
}
