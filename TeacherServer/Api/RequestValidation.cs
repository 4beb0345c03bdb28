using Distill.Shared.Wire;
using Distill.TeacherServer.Models;

namespace Distill.TeacherServer.Api;

/// <summary>Checks requests against the model that will answer them; each check returns the 400 detail or null.</summary>
public static class RequestValidation
{
    public static string? TopK(TopKRequest request, LoadedModel model, int maxK)
    {
        var kLimit = Math.Min(maxK, model.VocabSize);
        if (request.K <= 0 || request.K > kLimit)
        {
            return $"k = {request.K} is outside [1, {kLimit}] (the server's max k and the vocabulary size).";
        }
        return Temperature(request.Temperature) ?? Sequences(request.Sequences, "sequences", model, model.ContextLength) ?? Start(request);
    }

    /// <summary>Every sequence must keep at least one answered position.</summary>
    private static string? Start(TopKRequest request)
    {
        if (request.Starts is { } starts)
        {
            return Starts(request, starts);
        }
        if (request.Start < 0)
        {
            return $"start = {request.Start} is negative.";
        }
        var shortest = request.Sequences.Min(s => s.Length);
        return request.Start < shortest
            ? null
            : $"start = {request.Start} is past the end: the shortest sequence has {shortest} positions, so start must be at most {shortest - 1}.";
    }

    private static string? Starts(TopKRequest request, int[] starts)
    {
        if (request.Start != 0)
        {
            return $"start = {request.Start} and starts are both given; give one of them.";
        }
        if (starts.Length != request.Sequences.Length)
        {
            return $"starts has {starts.Length} entries for {request.Sequences.Length} sequences; give one start per sequence.";
        }
        for (var i = 0; i < starts.Length; i++)
        {
            var length = request.Sequences[i].Length;
            if (starts[i] < 0)
            {
                return $"starts[{i}] = {starts[i]} is negative.";
            }
            if (starts[i] >= length)
            {
                return $"starts[{i}] = {starts[i]} is past the end: sequences[{i}] has {length} positions, so its start must be at most {length - 1}.";
            }
        }
        return null;
    }

    public static string? Generate(GenerateRequest request, LoadedModel model, int maxNewTokens)
    {
        if (request.MaxNewTokens <= 0 || request.MaxNewTokens > maxNewTokens)
        {
            return $"max_new_tokens = {request.MaxNewTokens} is outside [1, {maxNewTokens}].";
        }
        if (!(request.TopP > 0 && request.TopP <= 1))
        {
            return $"top_p = {request.TopP} is outside (0, 1].";
        }
        return Temperature(request.Temperature) ?? Sequences(request.Prompts, "prompts", model, model.ContextLength - 1);
    }

    /// <summary>Smaller temperatures can overflow float32 logits / τ.</summary>
    public const float MinTemperature = 1e-4f;

    internal static string? Temperature(float temperature) =>
        float.IsFinite(temperature) && temperature >= MinTemperature ? null : $"temperature = {temperature} must be finite and at least {MinTemperature}.";

    internal static string? Sequences(int[][]? sequences, string field, LoadedModel model, int maxLength)
    {
        if (sequences is null || sequences.Length == 0)
        {
            return $"{field} must hold at least one sequence.";
        }
        for (var i = 0; i < sequences.Length; i++)
        {
            var sequence = sequences[i];
            if (sequence is null || sequence.Length == 0)
            {
                return $"{field}[{i}] is empty.";
            }
            if (sequence.Length > maxLength)
            {
                return $"{field}[{i}] has {sequence.Length} tokens; the most this model accepts here is {maxLength} (context length {model.ContextLength}).";
            }
            for (var t = 0; t < sequence.Length; t++)
            {
                if ((uint)sequence[t] >= (uint)model.VocabSize)
                {
                    return $"{field}[{i}][{t}] = {sequence[t]} is not a token id of this model (vocabulary size {model.VocabSize}).";
                }
            }
        }
        return null;
    }
}
