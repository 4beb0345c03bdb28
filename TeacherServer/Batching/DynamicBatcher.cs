using System.Diagnostics;
using System.Threading.Channels;
using Distill.Shared.Wire;
using Distill.TeacherServer.Caching;
using Distill.TeacherServer.Hosting;
using Distill.TeacherServer.Onnx;

namespace Distill.TeacherServer.Batching;

/// <summary>
/// Merges rows of concurrent requests for one model version into ORT runs of at most
/// <c>maxBatchTokens</c> padded tokens, in arrival order within groups of similar width (<see cref="BatchSelection"/>: a
/// row's width is what it runs after the prefix the cache holds for it), and hands each row its slice of the result.
/// Rows may differ in k, τ and start: a run uses the largest k (a graph that selects the top-k itself selects that many,
/// and each row takes its first k) and a τ per row. A batch under budget waits up to the batch
/// window for more rows, but only while a request that may still submit rows is expected (<see cref="Expect"/>).
/// Rows reuse the keys and values of prefixes the version ran before (<see cref="PrefixKvCache"/>, owned by the worker).
/// </summary>
public sealed class DynamicBatcher
{
    private readonly PrefixKvCache? cache;
    private readonly PrefixCachedRunner runner;
    private readonly string modelName;
    private readonly int maxBatchTokens;
    private readonly TimeSpan window;
    private readonly ILogger logger;
    private readonly int selectionThreads;
    private readonly Channel<RowWork[]> queue = Channel.CreateUnbounded<RowWork[]>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task worker;
    private readonly TimeProvider time;
    private int expected;
    private long rowsQueued;

    /// <param name="prefixCacheBytes">Budget of the prefix cache; 0 for none.</param>
    /// <param name="selectionThreads">Threads that select the rows' top-k after a run (the server's ORT thread count).</param>
    /// <param name="time">The clock of the batch window (the system's when null).</param>
    public DynamicBatcher(TeacherSession session, string modelName, int maxBatchTokens, TimeSpan window, ILogger logger, long prefixCacheBytes = 0,
        int selectionThreads = 1, TimeProvider? time = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBatchTokens);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(selectionThreads);
        this.selectionThreads = selectionThreads;
        cache = prefixCacheBytes > 0 && session.SupportsPrefixCache ? new PrefixKvCache(prefixCacheBytes, modelName) : null;
        runner = new PrefixCachedRunner(session, cache, modelName);
        this.modelName = modelName;
        this.maxBatchTokens = maxBatchTokens;
        this.window = window;
        this.logger = logger;
        this.time = time ?? TimeProvider.System;
        worker = Task.Run(RunAsync);
    }

    public Task<RowResult> Submit(RowWork row) => Submit([row])[0];

    /// <summary>Queues rows together: the worker sees all of them or none, so one request's rows share a run.</summary>
    public Task<RowResult>[] Submit(IReadOnlyList<RowWork> rows)
    {
        var group = rows.ToArray();
        TeacherMetrics.QueueDepth.WithLabels(modelName).Inc(group.Length);
        if (!queue.Writer.TryWrite(group))
        {
            Dequeued(group.Length);
            foreach (var row in group)
            {
                row.Completion.TrySetException(new ObjectDisposedException(nameof(DynamicBatcher), "The model version is being unloaded."));
            }
        }
        else
        {
            Interlocked.Add(ref rowsQueued, group.Length);
        }
        return group.Select(r => r.Completion.Task).ToArray();
    }

    /// <summary>Rows queued so far: the worker has them or will see them before any row queued later.</summary>
    public long RowsQueued => Interlocked.Read(ref rowsQueued);

    /// <summary>Counts a request that may still submit rows: while one is counted, a batch under budget waits for more.</summary>
    public void Expect() => Interlocked.Increment(ref expected);

    /// <summary>The request counted by <see cref="Expect"/> will submit no more rows.</summary>
    public void Unexpect() => Interlocked.Decrement(ref expected);

    private bool MoreExpected => Volatile.Read(ref expected) > 0;

    /// <summary>Finishes the queued rows, then stops.</summary>
    public Task StopAsync()
    {
        queue.Writer.TryComplete();
        return worker;
    }

    private async Task RunAsync()
    {
        try
        {
            var pending = new List<PendingRow>();
            while (pending.Count > 0 || await queue.Reader.WaitToReadAsync())
            {
                try
                {
                    Drain(pending);
                    if (window > TimeSpan.Zero && BatchSelection.PaddedTokens(pending) < maxBatchTokens && MoreExpected)
                    {
                        await WaitForMoreAsync(pending);
                    }
                    var batch = TakeBatch(pending);
                    if (batch.Count > 0)
                    {
                        Execute(batch);
                    }
                }
                catch (Exception e)
                {
                    FailPending(pending, e);
                }
            }
        }
        finally
        {
            cache?.Dispose();
        }
    }

    /// <summary>
    /// A failure outside an ORT run (which <see cref="Execute"/> answers itself) fails the rows waiting at that moment
    /// instead of ending the worker, which would leave every later request of this version waiting forever.
    /// </summary>
    private void FailPending(List<PendingRow> pending, Exception e)
    {
        Fail(pending.Select(p => p.Row).ToArray(), e);
        pending.Clear();
    }

    private void Fail(IReadOnlyList<RowWork> rows, Exception e)
    {
        logger.LogError(e, "The batcher of {Model} failed between runs; {Rows} waiting rows fail with it", modelName, rows.Count);
        Dequeued(rows.Count);
        foreach (var row in rows)
        {
            row.Completion.TrySetException(e);
        }
    }

    /// <summary>Moves the queued rows to <paramref name="pending"/>; a group that cannot be classified fails alone.</summary>
    private void Drain(List<PendingRow> pending)
    {
        while (queue.Reader.TryRead(out var group))
        {
            try
            {
                pending.AddRange(BatchSelection.Classify(group, group.Select(r => runner.ExpectedWidth(r.Tokens, r.Start)).ToArray()));
            }
            catch (Exception e)
            {
                Fail(group, e);
            }
        }
    }

    private async Task WaitForMoreAsync(List<PendingRow> pending)
    {
        using var timeout = new CancellationTokenSource(window, time);
        try
        {
            while (BatchSelection.PaddedTokens(pending) < maxBatchTokens && MoreExpected && await queue.Reader.WaitToReadAsync(timeout.Token))
            {
                Drain(pending);
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
        }
    }

    /// <summary>Answers the cancelled rows, then takes the next run's rows (<see cref="BatchSelection"/>).</summary>
    private List<RowWork> TakeBatch(List<PendingRow> pending)
    {
        var live = new List<PendingRow>(pending.Count);
        foreach (var waiting in pending)
        {
            if (waiting.Row.Cancellation.IsCancellationRequested)
            {
                waiting.Row.Completion.TrySetCanceled(waiting.Row.Cancellation);
            }
            else
            {
                live.Add(waiting);
            }
        }
        var cancelled = pending.Count - live.Count;
        pending.Clear();
        pending.AddRange(live);
        var batch = BatchSelection.Take(pending, maxBatchTokens);
        Dequeued(cancelled + batch.Count);
        return batch;
    }

    private void Dequeued(int rows)
    {
        TeacherMetrics.QueueDepth.WithLabels(modelName).Dec(rows);
    }

    private void Execute(List<RowWork> batch)
    {
        try
        {
            var temperatures = batch.Select(r => r.Temperature).ToArray();
            var started = Stopwatch.GetTimestamp();
            var (output, pastLengths) = runner.Run(batch.Select(r => (r.Tokens, r.Start)).ToArray(), temperatures, batch.Any(r => r.WantLastLogits),
                Math.Max(1, batch.Max(r => r.K)));
            var results = new RowResult[batch.Count];
            using (output)
            {
                var answered = batch.Sum(r => (long)(r.Tokens.Length - r.Start) * r.K);
                if (selectionThreads > 1 && answered >= ParallelSelectionMinimum)
                {
                    Parallel.For(0, batch.Count, new ParallelOptions { MaxDegreeOfParallelism = selectionThreads },
                        b => results[b] = Slice(output, b, batch[b], pastLengths[b]));
                }
                else
                {
                    for (var b = 0; b < batch.Count; b++)
                    {
                        results[b] = Slice(output, b, batch[b], pastLengths[b]);
                    }
                }
                TeacherMetrics.RunSeconds.WithLabels(modelName).Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
                TeacherMetrics.BatchRows.WithLabels(modelName).Observe(batch.Count);
                TeacherMetrics.BatchTokens.WithLabels(modelName).Observe(batch.Count * output.Width);
            }
            for (var b = 0; b < batch.Count; b++)
            {
                Complete(batch[b], results[b]);
            }
        }
        catch (Exception e)
        {
            logger.LogError(e, "An ORT run of {Rows} rows for {Model} failed", batch.Count, modelName);
            foreach (var row in batch)
            {
                row.Completion.TrySetException(e);
            }
        }
    }

    /// <summary>
    /// A small answer is handed over on this thread: the request's handler then encodes and sends it right here, without
    /// waking a thread-pool thread (a step of a token-by-token rollout spends a good part of its time in such hand-offs on
    /// a busy 2-core machine). A large answer is handed to the thread pool, so that encoding it does not hold up the next batch.
    /// </summary>
    private static void Complete(RowWork row, RowResult result)
    {
        if ((long)result.TopK.Length * result.TopK.K <= InlineCompletionMaximum)
        {
            row.Completion.TrySetResult(result);
        }
        else
        {
            ThreadPool.UnsafeQueueUserWorkItem(static work => work.Row.Completion.TrySetResult(work.Result), (Row: row, Result: result), preferLocal: false);
        }
    }

    /// <summary>Selected ids (positions × k) of a row up to which its answer is handed over on the batcher's thread.</summary>
    private const long InlineCompletionMaximum = 4_096;

    /// <summary>Selected ids (positions × k) below which a batch's top-k is picked on one thread.</summary>
    private const long ParallelSelectionMinimum = 16_384;

    /// <summary>Row b's answer: positions Start … length − 1, at output index position − pastLength.</summary>
    private static RowResult Slice(TeacherBatchOutput output, int b, RowWork row, int pastLength)
    {
        var length = row.Tokens.Length;
        var answered = length - row.Start;
        var k = row.K;
        var ids = new int[answered * k];
        var logprobs = new float[answered * k];
        var next = new float[answered];
        var first = b * output.Width + row.Start - pastLength;
        output.SelectTopK(first, answered, k, ids, logprobs);
        var allNext = output.NextLogprobs;
        for (var i = 0; i < answered; i++)
        {
            next[i] = row.Start + i + 1 < length ? allNext[first + i] : float.NaN;
        }
        float[]? lastLogits = null;
        if (row.WantLastLogits)
        {
            var vocab = output.VocabSize;
            lastLogits = output.LastLogits.Slice(b * vocab, vocab).ToArray();
        }
        var ranks = row.WantNextTokenRanks ? NextTokenRanks.Of(output.PositionLogprobs, output.PositionWidth, first, next) : null;
        return new RowResult(new SequenceTopK(answered, k, ids, logprobs, next), lastLogits, ranks);
    }
}
