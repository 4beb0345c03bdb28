using Distill.Shared.Tokenization;
using Distill.Shared.Wire;
using Distill.StudentTrainer.Data;
using Distill.StudentTrainer.Distillation;
using Distill.StudentTrainer.Model;
using Distill.StudentTrainer.Teacher;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Evaluation;

/// <summary>
/// Evaluates a student on held-out prompt → response pairs. Only response positions count: those whose next token is a
/// response token, i.e. the positions a <see cref="PromptResponseBatch"/> masks in; the prompt is context only. The
/// figures of the returned <see cref="StudentEvaluation"/> mean here:
/// <list type="bullet">
/// <item><description><see cref="StudentEvaluation.ValidationLoss"/>: the mean cross-entropy (nats) of the reference
/// response tokens given the prompt and the response so far, over every response token of every pair (token-weighted);
/// its exponential is the perplexity.</description></item>
/// <item><description><see cref="StudentEvaluation.KlToTeacher"/>: the mean KL(teacher ‖ student) at τ = 1 over the
/// teacher's top-k + tail, per response position.</description></item>
/// <item><description><see cref="StudentEvaluation.TeacherTop1Agreement"/>: the share of response positions where the
/// student's most likely token is the teacher's.</description></item>
/// <item><description><see cref="StudentEvaluation.ExpectedCalibrationError"/>: the ECE (10 bins) of the student's
/// top-1 predictions of the response tokens; computed with or without a teacher.</description></item>
/// <item><description><see cref="StudentEvaluation.RougeLReference"/>: the mean ROUGE-L F1 of the student's greedy
/// continuation of each of the first <see cref="PairEvaluationOptions.RougePairs"/> prompts (at most as many tokens as
/// the reference response, or <see cref="PairEvaluationOptions.MaxNewTokens"/>; cut at the end-of-text id) against the
/// reference response; null when no pair is continued.</description></item>
/// <item><description><see cref="StudentEvaluation.RougeLTeacher"/>: the same against the teacher's greedy continuation
/// of the same prompts under the same limit.</description></item>
/// </list>
/// Teacher-relative figures are null without a teacher. The teacher is frozen: its top-k of every pair and its
/// continuations are fetched by the first evaluation and kept in memory (the top-k at response positions only) for
/// every later one.
/// </summary>
public sealed class PairEvaluator : IStudentEvaluator, IDisposable
{
    private readonly TokenizedPair[] _pairs;
    private readonly LoadedTokenizer _tokenizer;
    private readonly Device _device;
    private readonly ITeacher? _teacher;
    private readonly PairEvaluationOptions _options;
    private TeacherTargets[]? _teacherAnswers;          // per batch of pairs: (1, M, k) at its response positions, on the CPU
    private string[]? _teacherContinuations;

    /// <param name="pairs">The held-out pairs, each with a non-empty prompt and response (see <see cref="PromptResponseTokens"/>).</param>
    /// <param name="tokenizer">The student's tokenizer: decodes continuations and references for ROUGE-L; its end-of-text id ends a continuation.</param>
    /// <param name="device">Where the student's batches go.</param>
    /// <param name="teacher">The teacher the student is compared with; null: no teacher-relative figures.</param>
    /// <exception cref="ArgumentException">No pairs, an empty prompt or response, invalid options, or a pair longer than the teacher's context.</exception>
    public PairEvaluator(IReadOnlyList<TokenizedPair> pairs, LoadedTokenizer tokenizer, Device device, ITeacher? teacher = null,
                         PairEvaluationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(device);
        _options = options ?? new PairEvaluationOptions();
        _options.Validate();
        _pairs = pairs.Take(_options.MaxPairs ?? int.MaxValue).ToArray();
        if (_pairs.Length == 0) throw new ArgumentException("evaluating on pairs needs at least one pair");
        if (_pairs.Any(p => p.Prompt.Length == 0 || p.Response.Length == 0))
            throw new ArgumentException("every evaluated pair needs a prompt and a response of at least one token");
        int needed = TeacherContextNeeded(_pairs);
        if (teacher is not null && teacher.Model.ContextLength < needed)
            throw new ArgumentException($"the teacher's context length {teacher.Model.ContextLength} is shorter than the longest evaluated pair ({needed + 1} tokens)");
        _tokenizer = tokenizer;
        _device = device;
        _teacher = teacher;
    }

    /// <summary>The context a teacher needs to score <paramref name="pairs"/>: each pair's inputs, all its tokens but the last.</summary>
    public static int TeacherContextNeeded(IEnumerable<TokenizedPair> pairs) => pairs.Max(p => p.Prompt.Length + p.Response.Length) - 1;

    /// <summary>The evaluated pairs (at most <see cref="PairEvaluationOptions.MaxPairs"/>), in order.</summary>
    public IReadOnlyList<TokenizedPair> Pairs => _pairs;

    /// <summary>
    /// The pairs of a JSON Lines file (<see cref="PromptResponseFile"/>), at most <paramref name="maxPairs"/>, tokenized by
    /// <see cref="PromptResponseTokens.Tokenize"/> as training reads them (no end-of-text id appended: the bundled responses
    /// are continuations cut mid-text) and fitted to <paramref name="contextLength"/> (the student's).
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">A line is not a pair, a prompt or response encodes to no tokens, or the file holds no pair.</exception>
    public static TokenizedPair[] ReadPairs(string path, LoadedTokenizer tokenizer, int contextLength, int? maxPairs = null)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        IReadOnlyList<PromptResponsePair> pairs = PromptResponseFile.Read(path);
        if (pairs.Count == 0) throw new InvalidDataException($"'{path}' holds no prompt/response pairs");
        return pairs.Take(maxPairs ?? int.MaxValue).Select((pair, i) =>
        {
            try
            {
                return PromptResponseTokens.Tokenize(tokenizer, pair, contextLength);
            }
            catch (ArgumentException e)
            {
                throw new InvalidDataException($"{path}, pair {i + 1}: {e.Message}", e);
            }
        }).ToArray();
    }

    /// <summary>An evaluator of the pairs of <paramref name="path"/>, read by <see cref="ReadPairs"/>.</summary>
    /// <param name="contextLength">The student's context length, which every pair is fitted to.</param>
    public static PairEvaluator FromFile(string path, LoadedTokenizer tokenizer, int contextLength, Device device,
                                         ITeacher? teacher = null, PairEvaluationOptions? options = null) =>
        new(ReadPairs(path, tokenizer, contextLength, options?.MaxPairs), tokenizer, device, teacher, options);

    /// <summary>Evaluates <paramref name="model"/> without gradients in eval mode; its training flag is restored afterwards.</summary>
    /// <exception cref="ArgumentException">A pair is longer than the model's context or holds an id outside its vocabulary.</exception>
    public StudentEvaluation Evaluate(CausalLm model)
    {
        ArgumentNullException.ThrowIfNull(model);
        CheckFits(model.Config);
        bool wasTraining = model.training;
        model.eval();
        try
        {
            (double loss, double? kl, double? top1, double ece) = ResponseFigures(model);
            (double? rougeReference, double? rougeTeacher) = RougeFigures(model);
            return new StudentEvaluation(loss, kl, top1, ece, rougeReference, rougeTeacher);
        }
        finally
        {
            model.train(wasTraining);
        }
    }

    private (double Loss, double? Kl, double? Top1, double Ece) ResponseFigures(CausalLm model)
    {
        TeacherTargets[]? answers = TeacherAnswers();
        var calibration = new CalibrationError();
        double lossSum = 0, klSum = 0;
        long agreeing = 0, positions = 0;
        using var noGrad = no_grad();
        TokenizedPair[][] batches = [.. _pairs.Chunk(_options.BatchSize)];
        for (int b = 0; b < batches.Length; b++)
        {
            using var scope = NewDisposeScope();
            var batch = PromptResponseBatch.Build(batches[b], _device);
            Tensor kept = batch.Mask.flatten().nonzero().squeeze(1);                                       // (M)
            Tensor logits = model.Forward(batch.Inputs).flatten(0, 1).index_select(0, kept);             // (M, V)
            Tensor targets = batch.Targets.flatten().index_select(0, kept);                               // (M)
            lossSum += nn.functional.cross_entropy(logits, targets, reduction: nn.Reduction.Sum).to_type(ScalarType.Float64).item<double>();
            positions += targets.shape[0];
            calibration.Add(logits, targets);
            if (answers is null) continue;
            TeacherTargets answer = answers[b].To(_device);                                               // (1, M, k)
            Tensor kl = Divergences.PerPosition(DivergenceKind.Fkl, logits.unsqueeze(0), answer.Ids, answer.LogProbs, new DivergenceOptions()); // (1, M)
            klSum += kl.to_type(ScalarType.Float64).sum().item<double>();
            agreeing += logits.argmax(-1).eq(answer.Ids[0, .., 0]).sum().item<long>();
        }
        double loss = lossSum / positions;
        return answers is null
            ? (loss, null, null, calibration.Value)
            : (loss, klSum / positions, (double)agreeing / positions, calibration.Value);
    }

    private (double? Reference, double? Teacher) RougeFigures(CausalLm model)
    {
        TokenizedPair[] pairs = _pairs[..Math.Min(_options.RougePairs, _pairs.Length)];
        if (pairs.Length == 0) return (null, null);
        int[][] prompts = pairs.Select(p => p.Prompt).ToArray();
        int[] limits = pairs.Select(p => _options.MaxNewTokens ?? p.Response.Length).ToArray();
        string[] student = GreedyContinuations.OfStudent(model, prompts, limits, _tokenizer.EosId, _options.BatchSize).Select(Decode).ToArray();
        double reference = RougeL.Mean(student.Zip(pairs.Select(p => Decode(p.Response))));
        if (_teacher is null) return (reference, null);
        _teacherContinuations ??= GreedyContinuations.OfTeacher(_teacher, prompts, limits, _options.BatchSize).Select(Decode).ToArray();
        return (reference, RougeL.Mean(student.Zip(_teacherContinuations)));
    }

    private string Decode(int[] ids) => ContinuationText.Decode(_tokenizer, ids);

    /// <summary>The teacher's top-k at the response positions of each batch of pairs, fetched on the first call.</summary>
    private TeacherTargets[]? TeacherAnswers()
    {
        if (_teacher is null || _teacherAnswers is not null) return _teacherAnswers;
        int k = Math.Min(_options.TopK, _teacher.Model.VocabSize);
        var answers = new List<TeacherTargets>();
        try
        {
            foreach (TokenizedPair[] batch in _pairs.Chunk(_options.BatchSize))
            {
                var request = new TopKRequest(ResponseTeacherTargets.Sequences(batch), k, 1f);
                TopKResult answer = _teacher.TopKAsync(request, CancellationToken.None).GetAwaiter().GetResult();
                answers.Add(ResponseTeacherTargets.From(answer, batch));
            }
        }
        catch
        {
            foreach (TeacherTargets answer in answers) answer.Dispose();
            throw;
        }
        return _teacherAnswers = [.. answers];
    }

    private void CheckFits(ModelConfig config)
    {
        for (int i = 0; i < _pairs.Length; i++)
        {
            TokenizedPair pair = _pairs[i];
            if (pair.Prompt.Length + pair.Response.Length > config.ContextLength)
                throw new ArgumentException($"pair {i + 1} has {pair.Prompt.Length + pair.Response.Length} tokens, more than the student's context length {config.ContextLength}");
            if (pair.Prompt.Concat(pair.Response).Any(id => id < 0 || id >= config.VocabSize))
                throw new ArgumentException($"pair {i + 1} holds a token id outside the student's vocabulary of {config.VocabSize}");
        }
    }

    public void Dispose()
    {
        foreach (TeacherTargets answer in _teacherAnswers ?? []) answer.Dispose();
        _teacherAnswers = null;
    }
}
