using Distill.Shared.Wire;
using Distill.TeacherServer.Batching;
using Distill.TeacherServer.Models;
using Distill.TeacherServer.Onnx;

namespace Distill.TeacherServer.Generation;

/// <summary>
/// Autoregressive sampling. Models with a KV cache (Optimum past_key_values/present) feed one new token per step;
/// others rerun the whole sequence each step through the batcher, so steps of concurrent prompts share ORT runs.
/// </summary>
public static class Sampling
{
    public static Task<Completion> CompleteAsync(LoadedModel model, int[] prompt, GenerateRequest request, int seed, CancellationToken cancellation) =>
        model.Session.SupportsCache
            ? CompleteWithCacheAsync(model, prompt, request, seed, cancellation)
            : CompleteThroughBatcherAsync(model, prompt, request, seed, cancellation);

    private static async Task<Completion> CompleteThroughBatcherAsync(LoadedModel model, int[] prompt, GenerateRequest request, int seed, CancellationToken cancellation)
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

    private static async Task<Completion> CompleteWithCacheAsync(LoadedModel model, int[] prompt, GenerateRequest request, int seed, CancellationToken cancellation)
    {
        await Task.Yield(); // the prompts of a request decode side by side, not one after the other
        var random = new Random(seed);
        var generated = new List<int>();
        var length = prompt.Length;
        var feed = prompt;
        DecodingCache? cache = null;
        try
        {
            while (generated.Count < request.MaxNewTokens && length < model.ContextLength)
            {
                await model.CachedStepSlots.WaitAsync(cancellation);
                float[] logits;
                DecodingCache next;
                try
                {
                    (logits, next) = model.Session.Step(feed, cache);
                }
                finally
                {
                    model.CachedStepSlots.Release();
                }
                cache?.Dispose();
                cache = next;
                var token = TokenSampler.Sample(logits, request.Temperature, request.TopP, random);
                generated.Add(token);
                length++;
                if (request.StopAtEos && token == model.EosId)
                {
                    return new Completion([.. generated], "eos");
                }
                feed = [token];
            }
            return new Completion([.. generated], "length");
        }
        finally
        {
            cache?.Dispose();
        }
    }
}
