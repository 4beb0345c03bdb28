using Distill.TeacherServer.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace Distill.TeacherServer.Caching;

/// <summary>
/// At load, one cached step through a graph rewritten by <see cref="SplitPastGraph"/> must give the log-probs of the
/// whole pass: the rewrite is exact algebra, but a graph it misread would otherwise fail only at a client's first
/// cached step.
/// </summary>
public static class CachedStepCheck
{
    /// <summary>Largest difference of a log-prob allowed (float32 sums in another order differ by far less).</summary>
    public const float Tolerance = 1e-3f;

    /// <exception cref="SplitPastRejectedException">The step failed or its log-probs differ from the whole pass's.</exception>
    public static void Run(TeacherSession session, int? contextLength)
    {
        var length = Math.Min(3, contextLength ?? 3);
        if (length < 2 || !session.SupportsPrefixCache)
        {
            return;
        }
        var tokens = new int[length];
        var block = new KvBlock(session.PastShapes, 1, length - 1, new KvBufferPool(0));
        float difference;
        try
        {
            using var whole = session.Run([tokens], [1f], wantLastLogits: false);
            using (var prefix = session.Run([new RowFeed(tokens[..^1], 0)], PastFeed.None, [1f], wantLastLogits: false, wantKeyValues: true))
            {
                block.Append(prefix);
            }
            var past = block.Feed([Enumerable.Range(0, length - 1).ToArray()]);
            try
            {
                using var step = session.Run([new RowFeed(tokens, length - 1)], past, [1f], wantLastLogits: false, wantKeyValues: true);
                var vocab = whole.VocabSize;
                var expected = whole.Logprobs.Slice((length - 1) * vocab, vocab);
                var actual = step.Logprobs[..vocab];
                difference = 0;
                for (var i = 0; i < vocab; i++)
                {
                    difference = Math.Max(difference, Math.Abs(expected[i] - actual[i]));
                }
            }
            finally
            {
                foreach (var value in past.Values!)
                {
                    value.Dispose();
                }
            }
        }
        catch (OnnxRuntimeException e)
        {
            throw new SplitPastRejectedException($"a cached step through the rewritten graph failed: {e.Message}", e);
        }
        finally
        {
            block.Release();
        }
        if (!(difference <= Tolerance))
        {
            throw new SplitPastRejectedException($"a cached step through the rewritten graph differs from the whole pass by {difference} in a log-prob");
        }
    }
}
