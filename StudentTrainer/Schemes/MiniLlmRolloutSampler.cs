using System.Diagnostics;
using Distill.Shared.Wire;
using Distill.StudentTrainer.Data;
using Distill.StudentTrainer.Model;
using Distill.StudentTrainer.Teacher;
using TorchSharp;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Schemes;

/// <summary>
/// MiniLLM's rollout: responses drawn token by token from p̃ = α·p + (1 − α)·q. The student runs with its KV cache (one
/// new token per row and column); after each column the teacher is asked for the next-token top-k of every row's
/// sequence so far, each row from its own last position (<see cref="TopKRequest.Starts"/>), so a teacher with a prefix
/// cache runs one new token per row, however uneven the prompts. A sampled token outside the teacher's top-k gets the
/// teacher's exact log-prob from one more request after the last column (<see cref="ExactTeacherLogProbs"/>).
/// </summary>
public static class MiniLlmRolloutSampler
{
    /// <summary>
    /// Draws one token per row from α·p + (1 − α)·q, where p is rebuilt over the vocabulary from the teacher's top-k
    /// (<see cref="TeacherFullDistribution"/>). On the top-k ids the rebuilt p is the teacher's own log-prob, so log p(y)
    /// is the teacher's exact value whenever y is among them.
    /// </summary>
    /// <param name="studentLogits">(B, V) the student's next-token logits.</param>
    /// <param name="teacherIds">(B, k) int64 the teacher's top-k ids.</param>
    /// <param name="teacherLogProbs">(B, k) their log-probs over the full vocabulary.</param>
    /// <param name="alpha">The teacher's weight α ∈ [0, 1).</param>
    /// <param name="generator">The draw's random source.</param>
    /// <returns>(B) tensors without gradient, in the caller's dispose scope.</returns>
    public static RolloutToken SampleToken(Tensor studentLogits, Tensor teacherIds, Tensor teacherLogProbs, double alpha, Generator generator)
    {
        SchemeInputs.FloatingPoint(studentLogits, nameof(studentLogits));
        SchemeInputs.TwoDimensional(studentLogits, nameof(studentLogits));
        using var scope = NewDisposeScope();
        Tensor logQ = studentLogits.detach().log_softmax(-1);                                                 // (B, V)
        Tensor logP = TeacherFullDistribution.LogProbs(studentLogits, teacherIds, teacherLogProbs);         // (B, V)
        Tensor logMixture = TeacherMixedSampling.MixtureLogProbs(logP, logQ, alpha);                         // (B, V)
        Tensor tokens = TeacherMixedSampling.Sample(logMixture, generator);                                  // (B)
        return new RolloutToken(
            tokens.MoveToOuterDisposeScope(),
            TokenLogProbs.Gather(logQ, tokens).MoveToOuterDisposeScope(),
            TokenLogProbs.Gather(logP, tokens).MoveToOuterDisposeScope(),
            TeacherMixedSampling.ImportanceWeights(logQ, logMixture, tokens).MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Samples a response to each pair's prompt with <paramref name="model"/> (in eval mode, without gradients; its
    /// training flag is restored), asking <paramref name="teacher"/> once per column. Row b stops at the end-of-sequence
    /// id or after min(its pair's response length, <see cref="MiniLlmTrainerOptions.MaxNewTokens"/>, context − longest
    /// prompt) tokens; rows that stopped are extended with the end-of-sequence (else the pad) id, for the student and
    /// the teacher alike, and masked out. The rollout ends when every row has stopped.
    /// </summary>
    /// <param name="onTeacherAnswer">Called with the version of each teacher answer (e.g. a version tracker).</param>
    /// <returns>The rollout, in the caller's dispose scope.</returns>
    /// <exception cref="ArgumentException">No pairs, or a prompt that leaves no room in the student's context.</exception>
    /// <exception cref="InvalidDataException">A teacher answer of another shape than asked.</exception>
    public static MiniLlmRollout Collect(CausalLm model, ITeacher teacher, IReadOnlyList<TokenizedPair> pairs, MiniLlmTrainerOptions options,
                                         Generator generator, Action<string>? onTeacherAnswer, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(teacher);
        ArgumentNullException.ThrowIfNull(pairs);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(generator);
        if (pairs.Count == 0) throw new ArgumentException("a rollout needs at least one prompt");
        int context = model.Config.ContextLength;
        int longest = pairs.Max(p => p.Prompt.Length);
        if (longest >= context)
            throw new ArgumentException($"a prompt of {longest} tokens leaves no room for a response in the student's context of {context}");
        int[] limits = pairs.Select(p => Math.Min(Math.Min(p.Response.Length, options.MaxNewTokens ?? int.MaxValue), context - longest)).ToArray();
        if (limits.Any(limit => limit < 1)) throw new ArgumentException("every pair needs a response of at least one token");

        bool wasTraining = model.training;
        model.eval();
        try
        {
            return Run(model, teacher, pairs, options, limits, generator, onTeacherAnswer, ct);
        }
        finally
        {
            model.train(wasTraining);
        }
    }

    private static MiniLlmRollout Run(CausalLm model, ITeacher teacher, IReadOnlyList<TokenizedPair> pairs, MiniLlmTrainerOptions options,
                                      int[] limits, Generator generator, Action<string>? onTeacherAnswer, CancellationToken ct)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var cache = new KvCache(model.Config.Layers);
        Device device = model.parameters().First().device;
        int rows = pairs.Count;
        int fill = options.EosId ?? options.PadId;
        PromptBatch prompts = PromptBatch.Build(pairs, device, options.PadId);
        List<int>[] sequences = pairs.Select(p => new List<int>(p.Prompt)).ToArray();   // real tokens only, as the teacher sees them
        var lengths = new int[rows];
        var finished = new bool[rows];
        var columns = new List<(RolloutToken Drawn, Tensor Tokens, bool[] Live, Tensor TeacherIds, Tensor TeacherLogProbs)>();
        var waited = new Stopwatch();
        var outsideTopK = new List<(int Row, int Column)>();
        Tensor ids = prompts.Ids, mask = prompts.AttentionMask, positions = prompts.PositionIds;     // (B, P) first, then (B, 1)

        int longestResponse = limits.Max();
        for (int column = 0; column < longestResponse; column++)
        {
            using var columnScope = NewDisposeScope();
            var request = new TopKRequest([.. sequences.Select(s => s.ToArray())], options.TopK, 1f, Starts: [.. sequences.Select(s => s.Count - 1)]);
            Task<TopKResult> asked = teacher.TopKAsync(request, ct);                  // the teacher works while the student runs
            Tensor logits = model.Forward(ids, mask, positions, cache).select(1, -1);                          // (B, V)
            waited.Start();
            TopKResult answer;
            try
            {
                answer = asked.GetAwaiter().GetResult();
            }
            finally
            {
                waited.Stop();
            }
            onTeacherAnswer?.Invoke(answer.Version);
            (Tensor teacherIds, Tensor teacherLogProbs) = LastPositions(answer, request, device);           // (B, k)
            RolloutToken drawn = SampleToken(logits, teacherIds, teacherLogProbs, options.MiniLlm.TeacherMixAlpha, generator);

            long[] sampled = drawn.Tokens.cpu().data<long>().ToArray();
            var live = new bool[rows];
            var next = new long[rows];
            for (int row = 0; row < rows; row++)
            {
                live[row] = !finished[row];
                next[row] = live[row] ? sampled[row] : fill;
                if (live[row] && !LastIds(answer, row).Contains((int)sampled[row])) outsideTopK.Add((row, column));
                sequences[row].Add((int)next[row]);
                if (!live[row]) continue;
                lengths[row]++;
                finished[row] = next[row] == options.EosId || lengths[row] == limits[row];
            }
            Tensor tokens = tensor(next, [rows], device: device);                                              // (B)
            columns.Add((Keep(drawn), tokens.MoveToOuterDisposeScope(), live, teacherIds.MoveToOuterDisposeScope(),
                teacherLogProbs.MoveToOuterDisposeScope()));
            if (finished.All(f => f)) break;
            ids = tokens.unsqueeze(1).MoveToOuterDisposeScope();                                                 // (B, 1)
            mask = cat([mask, ones(rows, 1, ScalarType.Bool, device)], 1).MoveToOuterDisposeScope();           // (B, past+1)
            positions = positions.narrow(1, positions.shape[1] - 1, 1).add(Scalars.One, Scalars.One).MoveToOuterDisposeScope(); // (B, 1)
        }

        Tensor teacherTokenLogProbs = stack(columns.Select(c => c.Drawn.TeacherLogProbs), 1);               // (B, T)
        int requests = columns.Count;
        if (outsideTopK.Count > 0)
        {
            waited.Start();
            try
            {
                teacherTokenLogProbs = ExactTeacherLogProbs(teacher, teacherTokenLogProbs, sequences, pairs, outsideTopK, onTeacherAnswer, ct);
            }
            finally
            {
                waited.Stop();
            }
            requests++;
        }

        bool[] liveMask = new bool[rows * columns.Count];
        for (int row = 0; row < rows; row++)
            for (int column = 0; column < columns.Count; column++)
                liveMask[row * columns.Count + column] = columns[column].Live[row];
        return new MiniLlmRollout(
            prompts.Ids.MoveToOuterDisposeScope(),
            prompts.AttentionMask.MoveToOuterDisposeScope(),
            prompts.PositionIds.MoveToOuterDisposeScope(),
            stack(columns.Select(c => c.Tokens), 1).MoveToOuterDisposeScope(),
            tensor(liveMask, [rows, columns.Count], device: device).MoveToOuterDisposeScope(),
            stack(columns.Select(c => c.Drawn.StudentLogProbs), 1).MoveToOuterDisposeScope(),
            teacherTokenLogProbs.MoveToOuterDisposeScope(),
            stack(columns.Select(c => c.Drawn.ImportanceWeights), 1).MoveToOuterDisposeScope(),
            stack(columns.Select(c => c.TeacherIds), 1).MoveToOuterDisposeScope(),
            stack(columns.Select(c => c.TeacherLogProbs), 1).MoveToOuterDisposeScope(),
            lengths,
            requests,
            waited.Elapsed);
    }

    private static RolloutToken Keep(RolloutToken drawn) => new(
        drawn.Tokens.MoveToOuterDisposeScope(), drawn.StudentLogProbs.MoveToOuterDisposeScope(),
        drawn.TeacherLogProbs.MoveToOuterDisposeScope(), drawn.ImportanceWeights.MoveToOuterDisposeScope());

    /// <summary>
    /// The teacher's log p(y) in place of the rebuilt p's wherever y was sampled outside the top-k (there the rebuilt p
    /// gives every token the same ratio to q, log P_tail − log Q_out, as the tail's mass is spread like q). One request
    /// holds each such row up to its last such token, from the position before its first, so the answer's next-token
    /// log-probs are the teacher's own log p of those tokens; k = 1, as only those are read.
    /// </summary>
    /// <param name="teacherTokenLogProbs">(B, T) log p(y_t) of the rebuilt p.</param>
    /// <param name="sequences">Each row's prompt and sampled tokens, as the teacher saw them.</param>
    /// <param name="outsideTopK">(row, column) of every live token the teacher's top-k did not hold.</param>
    /// <returns>(B, T) with the teacher's values at <paramref name="outsideTopK"/>, in the caller's dispose scope.</returns>
    private static Tensor ExactTeacherLogProbs(ITeacher teacher, Tensor teacherTokenLogProbs, List<int>[] sequences, IReadOnlyList<TokenizedPair> pairs,
                                               List<(int Row, int Column)> outsideTopK, Action<string>? onTeacherAnswer, CancellationToken ct)
    {
        int columns = (int)teacherTokenLogProbs.shape[1];
        int[] rows = [.. outsideTopK.Select(o => o.Row).Distinct().Order()];
        int[] first = [.. rows.Select(row => outsideTopK.Where(o => o.Row == row).Min(o => o.Column))];
        int[] last = [.. rows.Select(row => outsideTopK.Where(o => o.Row == row).Max(o => o.Column))];
        var request = new TopKRequest(
            [.. rows.Select((row, i) => sequences[row].Take(pairs[row].Prompt.Length + last[i] + 1).ToArray())], 1, 1f,
            Starts: [.. rows.Select((row, i) => pairs[row].Prompt.Length - 1 + first[i])]);
        TopKResult answer = teacher.TopKAsync(request, ct).GetAwaiter().GetResult();
        onTeacherAnswer?.Invoke(answer.Version);
        CheckShape(answer, request);

        float[] values = teacherTokenLogProbs.cpu().to_type(ScalarType.Float32).data<float>().ToArray();
        foreach ((int row, int column) in outsideTopK)
        {
            int i = Array.IndexOf(rows, row);
            values[row * columns + column] = answer.Sequences[i].NextTokenLogprobs[column - first[i]];
        }
        return tensor(values, [values.Length / columns, columns], device: teacherTokenLogProbs.device).to_type(teacherTokenLogProbs.dtype);
    }

    /// <exception cref="InvalidDataException">The answer does not hold each row's positions from its start, at the asked k.</exception>
    private static void CheckShape(TopKResult answer, TopKRequest request)
    {
        int rows = request.Sequences.Length, k = request.K;
        if (answer.Sequences.Count != rows || answer.K != k)
            throw new InvalidDataException($"the teacher answered {answer.Sequences.Count} sequences of top-{answer.K}; asked for {rows} of top-{k}");
        for (int row = 0; row < rows; row++)
        {
            int positions = request.Sequences[row].Length - request.StartOf(row);
            if (answer.StartOf(row) != request.StartOf(row) || answer.Sequences[row].Length != positions)
                throw new InvalidDataException(
                    $"the teacher answered {answer.Sequences[row].Length} positions from {answer.StartOf(row)} for row {row}; asked for {positions} from {request.StartOf(row)}");
        }
    }

    private static ReadOnlySpan<int> LastIds(TopKResult answer, int row) => answer.Sequences[row].IdsAt(answer.Sequences[row].Length - 1);

    /// <summary>The top-k of each row's last position: ids (B, k) int64 and log-probs (B, k) float32 on <paramref name="device"/>.</summary>
    private static (Tensor Ids, Tensor LogProbs) LastPositions(TopKResult answer, TopKRequest request, Device device)
    {
        CheckShape(answer, request);
        int rows = request.Sequences.Length, k = request.K;
        var ids = new long[rows * k];
        var logProbs = new float[rows * k];
        for (int row = 0; row < rows; row++)
        {
            ReadOnlySpan<int> rowIds = LastIds(answer, row);
            for (int i = 0; i < k; i++) ids[row * k + i] = rowIds[i];
            answer.Sequences[row].LogprobsAt(answer.Sequences[row].Length - 1).CopyTo(logProbs.AsSpan(row * k, k));
        }
        return (tensor(ids, [rows, k], device: device), tensor(logProbs, [rows, k], device: device));
    }
}
