using Distill.Shared.Wire;
using Distill.TeacherServer.Batching;
using Distill.TeacherServer.Models;

namespace Distill.TeacherServer.Generation;

/// <summary>
/// Autoregressive sampling through the batcher: each step asks for the last position of the sequence so far, so the
/// steps of concurrent prompts share ORT runs, and a model with a KV cache runs only the new token after the prefix
/// its cache holds (the same prefix cache that serves incremental top-k requests).
/// </summary>
public static class Sampling
{
    public static async Task<Completion> CompleteAsync(LoadedModel model, int[] prompt, GenerateRequest request, int seed, CancellationToken cancellation)
    {
        var random = new Random(seed);
        var tokens = new List<int>(prompt);
        var generated = new List<int>();
        while (generated.Count < request.MaxNewTokens && tokens.Count < model.ContextLength)
        {
            var step = await model.Batcher.Submit(new RowWork([.. tokens], 1, 1f, true, cancellation, tokens.Count - 1));
            var next = TokenSampler.Sample(step.LastLogits!, request.Temperature, request.TopP, random);
            tokens.Add(next);
            generated.Add(next);
            if (request.StopAtEos && next == model.EosId)
            {
                return new Completion([.. generated], "eos");
            }
        }
        return new Completion([.. generated], "length");
    }
}
