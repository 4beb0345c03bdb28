using Distill.Shared.Tokenization;
using Distill.Shared.Wire;
using Distill.StudentTrainer.Data;
using Distill.StudentTrainer.Evaluation;
using Distill.StudentTrainer.Generation;
using Distill.StudentTrainer.Model;
using Distill.StudentTrainer.Teacher;
using Distill.StudentTrainer.Tests.Distillation;
using Distill.StudentTrainer.Tests.Export;
using Distill.StudentTrainer.Tests.Model;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Tests.Evaluation;

public sealed class PairEvaluatorTests : IDisposable
{
    private static readonly Gpt2Config Config = TinyModels.Config with { VocabSize = ExportTestFolder.TokenizerVocabSize, Positions = 40 };

    private static readonly PromptResponsePair[] Texts =
    [
        new("the cat", " sat on the mat"),
        new("a dog ran", " far"),
        new("Q: is 2+2 four?", " yes"),
        new("once upon a time", " there was a king"),
        new("hello", " world, again"),
    ];

    private readonly ExportTestFolder _folder = new();
    private readonly LoadedTokenizer _tokenizer;

    public PairEvaluatorTests() => _tokenizer = TokenizerLoader.Load(_folder.Tokenizer);

    public void Dispose() => _folder.Dispose();

    private TokenizedPair[] Pairs() =>
        Texts.Select(p => PromptResponseTokens.Tokenize(_tokenizer, p, Config.ContextLength, _tokenizer.EosId)).ToArray();

    [Fact]
    public void Perplexity_and_calibration_are_those_of_the_response_tokens_given_the_prompt()
    {
        using CausalLm model = TinyModels.Create(Config, seed: 11);
        model.train();
        TokenizedPair[] pairs = Pairs();
        using var evaluator = new PairEvaluator(pairs, _tokenizer, CPU, teacher: null, new PairEvaluationOptions { BatchSize = 2 });

        StudentEvaluation evaluation = evaluator.Evaluate(model);

        Assert.True(model.training, "the training flag is restored");
        model.eval();
        double responseLoss = 0, everyLoss = 0;
        long responseTokens = 0, everyToken = 0;
        var calibration = new CalibrationError();
        using (no_grad())
        {
            foreach (TokenizedPair pair in pairs)
            {
                using var scope = NewDisposeScope();
                (Tensor logits, Tensor targets) = AloneLogits(model, pair);                                       // (T, V), (T)
                Tensor response = logits[(pair.Prompt.Length - 1)..];
                responseLoss += nn.functional.cross_entropy(response, targets[(pair.Prompt.Length - 1)..], reduction: nn.Reduction.Sum).item<float>();
                responseTokens += pair.Response.Length;
                everyLoss += nn.functional.cross_entropy(logits, targets, reduction: nn.Reduction.Sum).item<float>();
                everyToken += targets.shape[0];
                calibration.Add(response, targets[(pair.Prompt.Length - 1)..]);
            }
        }
        Assert.Equal(responseLoss / responseTokens, evaluation.ValidationLoss, 1e-5);
        Assert.True(Math.Abs(everyLoss / everyToken - evaluation.ValidationLoss) > 1e-3, "counting the prompt positions would give another figure");
        Assert.Equal(calibration.Value, evaluation.ExpectedCalibrationError, 1e-6);
        Assert.Null(evaluation.KlToTeacher);
        Assert.Null(evaluation.TeacherTop1Agreement);
        Assert.Null(evaluation.RougeLTeacher);
        Assert.InRange(evaluation.RougeLReference!.Value, 0, 1);
    }

    [Fact]
    public void A_teacher_that_is_the_student_has_no_divergence_full_agreement_and_the_same_continuations()
    {
        using CausalLm model = TrainedOnPairs(seed: 12);
        var teacher = new LocalGptTeacher(model) { EosId = _tokenizer.EosId };
        var options = new PairEvaluationOptions { TopK = Config.VocabSize, BatchSize = 2, MaxNewTokens = 16 };
        using var evaluator = new PairEvaluator(Pairs(), _tokenizer, CPU, teacher, options);
        string[] continuations = GreedyContinuations.OfStudent(model, Pairs().Select(p => p.Prompt).ToArray(), [.. Enumerable.Repeat(16, Texts.Length)], _tokenizer.EosId, 2)
            .Select(c => ContinuationText.Decode(_tokenizer, c)).ToArray();
        Assert.All(continuations, c => Assert.NotEmpty(RougeL.Tokenize(c)));   // else ROUGE-L would be 0 whatever the teacher said

        StudentEvaluation evaluation = evaluator.Evaluate(model);

        Assert.InRange(evaluation.KlToTeacher!.Value, -1e-6, 1e-5);
        Assert.Equal(1.0, evaluation.TeacherTop1Agreement);
        Assert.Equal(1.0, evaluation.RougeLTeacher!.Value, 12);
    }

    [Fact]
    public void The_teacher_is_asked_once_and_its_answers_serve_every_later_evaluation()
    {
        using CausalLm model = TinyModels.Create(Config, seed: 13);
        var teacher = new LocalGptTeacher(model);
        var options = new PairEvaluationOptions { BatchSize = 2, RougePairs = 3, TopK = 8 };
        using var evaluator = new PairEvaluator(Pairs(), _tokenizer, CPU, teacher, options);

        StudentEvaluation first = evaluator.Evaluate(model);
        int asked = teacher.Requests;
        StudentEvaluation second = evaluator.Evaluate(model);

        int topKRequests = (Texts.Length + 1) / 2, generateRequests = (options.RougePairs + 1) / 2;
        Assert.Equal(topKRequests + generateRequests, asked);
        Assert.Equal(asked, teacher.Requests);
        Assert.Equal(generateRequests, teacher.GenerateRequests.Count);
        Assert.Equal(first.KlToTeacher!.Value, second.KlToTeacher!.Value, 1e-9);
        Assert.Equal(first.TeacherTop1Agreement, second.TeacherTop1Agreement);
        Assert.Equal(first.RougeLTeacher, second.RougeLTeacher);
    }

    [Fact]
    public void The_teachers_answers_at_prompt_positions_do_not_count()
    {
        using CausalLm model = TrainedOnPairs(seed: 14);
        TokenizedPair[] pairs = Pairs();
        var options = new PairEvaluationOptions { BatchSize = 2, TopK = Config.VocabSize, RougePairs = 0 };
        StudentEvaluation Evaluate(ITeacher teacher)
        {
            using var evaluator = new PairEvaluator(pairs, _tokenizer, CPU, teacher, options);
            return evaluator.Evaluate(model);
        }
        int PromptPositions(int[] sequence) => pairs.Single(p => sequence.AsSpan().StartsWith(p.Prompt) && sequence.Length == p.Prompt.Length + p.Response.Length - 1).Prompt.Length - 1;

        StudentEvaluation plain = Evaluate(new LocalGptTeacher(model));
        StudentEvaluation promptsScrambled = Evaluate(new ScramblingTeacher(new LocalGptTeacher(model), PromptPositions));
        StudentEvaluation allScrambled = Evaluate(new ScramblingTeacher(new LocalGptTeacher(model), sequence => sequence.Length));

        Assert.Equal(plain.KlToTeacher!.Value, promptsScrambled.KlToTeacher!.Value, 12);
        Assert.Equal(plain.TeacherTop1Agreement, promptsScrambled.TeacherTop1Agreement);
        Assert.True(allScrambled.KlToTeacher > plain.KlToTeacher + 1, "scrambling the response positions changes the figure");
        Assert.True(allScrambled.TeacherTop1Agreement < plain.TeacherTop1Agreement);
        Assert.Null(plain.RougeLReference);
    }

    [Fact]
    public void The_batch_size_does_not_change_the_figures()
    {
        using CausalLm model = TrainedOnPairs(seed: 12);
        StudentEvaluation Evaluate(int batchSize)
        {
            using var evaluator = new PairEvaluator(Pairs(), _tokenizer, CPU, teacher: null, new PairEvaluationOptions { BatchSize = batchSize, MaxNewTokens = 12 });
            return evaluator.Evaluate(model);
        }

        StudentEvaluation alone = Evaluate(1), batched = Evaluate(4);

        Assert.Equal(alone.ValidationLoss, batched.ValidationLoss, 1e-5);
        Assert.Equal(alone.ExpectedCalibrationError, batched.ExpectedCalibrationError, 1e-6);
        Assert.Equal(alone.RougeLReference, batched.RougeLReference);
        Assert.InRange(alone.RougeLReference!.Value, 0.05, 0.95);   // continuations partly right: a figure the batching could move
    }

    [Fact]
    public void Batched_greedy_continuations_are_those_of_each_prompt_alone_cut_at_its_limit()
    {
        using CausalLm model = TinyModels.Create(Config, seed: 16);
        int[][] prompts = Pairs().Select(p => p.Prompt).ToArray();
        int[] limits = [3, 8, 1, 30, 6];

        int[][] batched = GreedyContinuations.OfStudent(model, prompts, limits, eosId: null, batchSize: 2);

        for (int i = 0; i < prompts.Length; i++)
        {
            var alone = new GenerationOptions { Temperature = 0, MaxNewTokens = limits[i] };
            Assert.Equal(ResponseSampler.Sample(model, [prompts[i]], alone)[0], batched[i]);
            Assert.Equal(Math.Min(limits[i], Config.ContextLength - prompts[i].Length), batched[i].Length);
        }
    }

    [Fact]
    public void A_long_prompt_goes_to_its_own_batch_when_it_would_cut_the_others_short()
    {
        Assert.Equal([[0, 1], [2]], GreedyContinuations.Batches([2, 2, 20], [10, 10, 4], contextLength: 24, batchSize: 8));
        Assert.Equal([[0, 1, 2]], GreedyContinuations.Batches([2, 2, 20], [4, 4, 4], contextLength: 24, batchSize: 8));
        Assert.Equal([[1, 2], [0]], GreedyContinuations.Batches([9, 3, 4], [1, 1, 1], contextLength: 24, batchSize: 2));
    }

    [Fact]
    public void A_pairs_file_is_read_tokenized_as_training_reads_it_without_an_end_of_text_id_and_cut_at_the_most_pairs()
    {
        string path = Path.Combine(_folder.Root, "pairs.jsonl");
        PromptResponseFile.Write(path, Texts);
        using CausalLm model = TinyModels.Create(Config, seed: 17);

        using PairEvaluator evaluator = PairEvaluator.FromFile(path, _tokenizer, Config.ContextLength, CPU, options: new PairEvaluationOptions { MaxPairs = 2 });

        TokenizedPair[] expected = [.. Texts[..2].Select(p => PromptResponseTokens.Tokenize(_tokenizer, p, Config.ContextLength))];
        Assert.Equal(expected, evaluator.Pairs, (a, b) => a.Prompt.SequenceEqual(b.Prompt) && a.Response.SequenceEqual(b.Response));
        Assert.Equal(_tokenizer.Encode(Texts[0].Response), evaluator.Pairs[0].Response);
        Assert.True(evaluator.Evaluate(model).ValidationPerplexity > 1);
    }

    [Fact]
    public void Bad_pairs_and_options_are_refused_with_clear_messages()
    {
        string path = Path.Combine(_folder.Root, "empty-prompt.jsonl");
        PromptResponseFile.Write(path, [Texts[0], new PromptResponsePair("", " lonely")]);
        Assert.Contains("pair 2", Assert.Throws<InvalidDataException>(() => PairEvaluator.ReadPairs(path, _tokenizer, 40)).Message);
        Assert.Throws<ArgumentException>(() => new PairEvaluator([], _tokenizer, CPU));
        Assert.Throws<ArgumentException>(() => new PairEvaluator(Pairs(), _tokenizer, CPU, options: new PairEvaluationOptions { BatchSize = 0 }));

        using CausalLm small = TinyModels.Create(Config with { Positions = 8 }, seed: 18);
        using var evaluator = new PairEvaluator(Pairs(), _tokenizer, CPU);
        Assert.Contains("context length 8", Assert.Throws<ArgumentException>(() => evaluator.Evaluate(small)).Message);
    }

    /// <summary>A tiny model fitted for a few steps to every token of the pairs, so it is confident and continues with letters.</summary>
    private CausalLm TrainedOnPairs(long seed)
    {
        CausalLm model = TinyModels.Create(Config, seed);
        model.train();
        using var optimizer = optim.Adam(model.parameters(), lr: 0.02);
        using var batch = PromptResponseBatch.Build(Pairs(), CPU);
        for (int step = 0; step < 150; step++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            nn.functional.cross_entropy(model.Forward(batch.Inputs).flatten(0, 1), batch.Targets.flatten()).backward();
            optimizer.step();
        }
        model.eval();
        return model;
    }

    /// <summary>The student's logits (T, V) and next tokens (T) of one pair's inputs, prompt ‖ response[:-1], run alone.</summary>
    private static (Tensor Logits, Tensor Targets) AloneLogits(CausalLm model, TokenizedPair pair)
    {
        long[] sequence = [.. pair.Prompt.Select(i => (long)i), .. pair.Response.Select(i => (long)i)];
        Tensor inputs = tensor(sequence[..^1], [1, sequence.Length - 1]);
        return (model.Forward(inputs)[0], tensor(sequence[1..]));
    }

    /// <summary>
    /// A teacher whose top-k ids are reversed (the least likely listed as the most likely, a different distribution) at the
    /// first positions of each sequence, as many as <paramref name="scrambled"/> says.
    /// </summary>
    private sealed class ScramblingTeacher(ITeacher inner, Func<int[], int> scrambled) : ITeacher
    {
        public ModelInfo Model => inner.Model;

        public async Task<TopKResult> TopKAsync(TopKRequest request, CancellationToken ct)
        {
            TopKResult answer = await inner.TopKAsync(request, ct);
            for (int b = 0; b < request.Sequences.Length; b++)
            {
                SequenceTopK sequence = answer.Sequences[b];
                for (int t = 0; t < scrambled(request.Sequences[b]); t++) sequence.Ids.AsSpan(t * sequence.K, sequence.K).Reverse();
            }
            return answer;
        }

        public Task<GenerateResponse> GenerateAsync(GenerateRequest request, CancellationToken ct) => inner.GenerateAsync(request, ct);
    }
}
