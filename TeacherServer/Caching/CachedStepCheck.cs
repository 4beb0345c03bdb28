using Distill.TeacherServer.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace Distill.TeacherServer.Caching;

/// <summary>
/// At load, one cached step must give the log-probs of the whole pass, or the prefix cache would answer `start` requests
/// wrongly. Through a graph rewritten by <see cref="SplitPastGraph"/> the rewrite is exact algebra, but a graph it misread
/// would otherwise fail only at a client's first cached step; a graph as exported may mishandle a past of its own (e.g.
/// positions counted from 0 at every run), which only such a step shows.
/// </summary>
public static class CachedStepCheck
{
    /// <summary>Largest difference of a log-prob allowed (float32 sums in another order differ by far less).</summary>
    public const float Tolerance = 1e-3f;

    /// <param name="vocabSize">The logits' width (the step's tokens are distinct ids below it).</param>
    /// <returns>Null when the step agrees with the whole pass (or the model has no cache to check); otherwise what went wrong.</returns>
    public static string? Problem(TeacherSession session, int? contextLength, int vocabSize)
    {
        var length = Math.Min(3, contextLength ?? 3);
        if (length < 2 || !session.SupportsPrefixCache)
        {
            return null;
        }
        var tokens = Enumerable.Range(0, length).Select(i => i % vocabSize).ToArray();
        var block = new KvBlock(session.PastShapes, 1, length - 1, new KvBufferPool(0));
        float difference;
        try
        {
            using var whole = session.Run([tokens], [1f], wantLastLogits: false, vocabSize);
            using (var prefix = session.Run([new RowFeed(tokens[..^1], 0)], PastFeed.None, [1f], wantLastLogits: false, wantKeyValues: true, vocabSize))
            {
                block.Append(prefix);
            }
            var past = block.Feed([Enumerable.Range(0, length - 1).ToArray()]);
            try
            {
                using var step = session.Run([new RowFeed(tokens, length - 1)], past, [1f], wantLastLogits: false, wantKeyValues: true, vocabSize);
                var expected = LogprobsById(whole, length - 1, vocabSize);
                var actual = LogprobsById(step, 0, vocabSize);
                difference = 0;
                for (var i = 0; i < vocabSize; i++)
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
            return $"failed: {e.Message}";
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IndexOutOfRangeException)
        {
            // Outputs the cache cannot use, e.g. present.* that are not the past followed by the new positions.
            return $"failed: its keys and values are not what a cache needs ({e.GetType().Name}: {e.Message})";
        }
        finally
        {
            block.Release();
        }
        return difference <= Tolerance ? null : $"differs from the whole pass by {difference} in a log-prob";
    }

    /// <summary>The log-probs of a position indexed by token id, from its top-k over the whole vocabulary.</summary>
    private static float[] LogprobsById(TeacherBatchOutput output, int position, int vocabSize)
    {
        var ids = new int[vocabSize];
        var selected = new float[vocabSize];
        output.SelectTopK(position, 1, vocabSize, ids, selected);
        var byId = new float[vocabSize];
        for (var r = 0; r < vocabSize; r++)
        {
            byId[ids[r]] = selected[r];
        }
        return byId;
    }
}
