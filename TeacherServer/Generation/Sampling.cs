using Distill.Shared.Wire;
using Distill.TeacherServer.Batching;
using Distill.TeacherServer.Models;

namespace Distill.TeacherServer.Generation;

/// <summary>Autoregressive sampling through the model's batcher (steps of concurrent prompts share ORT runs).</summary>
public static class Sampling
{
    /// <summary>Samples one continuation; each step reruns the whole sequence (no KV cache).</summary>
    public static async Task<Completion> CompleteAsync(LoadedModel model, int[] prompt, GenerateRequest request, int seed, CancellationToken cancellation)
    {
        var random = new Random(seed);
        var tokens = new List<int>(prompt);
        var generated = new List<int>();
        while (generated.Count < request.MaxNewTokens && tokens.Count < model.ContextLength)
        {
            var step = await model.Batcher.Submit(new RowWork([.. tokens], 1, 1f, true, cancellation));
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
