using Distill.Shared.Wire;
using Distill.StudentTrainer.Model;
using Distill.StudentTrainer.Schemes;
using Distill.StudentTrainer.Teacher;
using Distill.StudentTrainer.Tests.Distillation;
using Distill.StudentTrainer.Tests.Model;

namespace Distill.StudentTrainer.Tests.Schemes;

public sealed class TeacherResponsesTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("distill-teacher-responses-").FullName;
    private readonly CausalLm _model = TinyModels.Create();
    private readonly int[][] _prompts = Enumerable.Range(0, 7).Select(i => TinyModels.RandomPrompt(3 + i % 4, seed: 60 + i)).ToArray();

    public void Dispose()
    {
        _model.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task Prompts_are_asked_in_chunks_with_the_seed_of_each_chunks_first_prompt()
    {
        var teacher = new LocalGptTeacher(_model);
        var options = new TeacherResponseOptions { MaxNewTokens = 5, Temperature = 0.7f, TopP = 0.9f, Seed = 100, PromptsPerRequest = 3 };

        TeacherResponseSet set = await TeacherResponses.GetAsync(teacher, _prompts, options, CancellationToken.None);

        IReadOnlyList<GenerateRequest> requests = teacher.GenerateRequests;
        Assert.Equal([3, 3, 1], requests.Select(r => r.Prompts.Length));
        Assert.Equal([100, 103, 106], requests.Select(r => r.Seed ?? -1));
        Assert.All(requests, r => Assert.Equal((5, 0.7f, 0.9f, true), (r.MaxNewTokens, r.Temperature, r.TopP, r.StopAtEos)));
        Assert.Equal(_prompts, requests.SelectMany(r => r.Prompts));
        Assert.Equal(_prompts, set.Pairs.Select(p => p.Prompt));
        Assert.All(set.Pairs, p => Assert.Equal(5, p.Response.Length));
        Assert.Equal(("local-1", 0, null, false), (set.TeacherVersion, set.EmptyDropped, set.File, set.FromFile));
    }

    [Fact]
    public async Task Responses_depend_on_the_seed_but_not_on_the_chunking()
    {
        var teacher = new LocalGptTeacher(_model);
        var options = new TeacherResponseOptions { MaxNewTokens = 8, Seed = 5, PromptsPerRequest = 3 };

        int[][] chunked = Responses(await TeacherResponses.GetAsync(teacher, _prompts, options, CancellationToken.None));
        int[][] whole = Responses(await TeacherResponses.GetAsync(teacher, _prompts, options with { PromptsPerRequest = 32 }, CancellationToken.None));
        int[][] reseeded = Responses(await TeacherResponses.GetAsync(teacher, _prompts, options with { Seed = 6 }, CancellationToken.None));

        Assert.Equal(chunked, whole);
        Assert.NotEqual(chunked, reseeded);
    }

    [Fact]
    public async Task Prompts_whose_response_is_empty_are_dropped_and_counted()
    {
        var teacher = new LocalGptTeacher(_model);
        int[] full = TinyModels.RandomPrompt(_model.Config.ContextLength, seed: 70);   // no room left: the in-process teacher answers nothing
        int[][] prompts = [_prompts[0], full, _prompts[1]];

        TeacherResponseSet set = await TeacherResponses.GetAsync(teacher, prompts, new TeacherResponseOptions { MaxNewTokens = 4 }, CancellationToken.None);

        Assert.Equal(1, set.EmptyDropped);
        Assert.Equal([_prompts[0], _prompts[1]], set.Pairs.Select(p => p.Prompt));
    }

    [Fact]
    public async Task A_response_file_is_written_once_and_read_back_by_a_repeated_run()
    {
        var teacher = new LocalGptTeacher(_model);
        var options = new TeacherResponseOptions { MaxNewTokens = 6, PromptsPerRequest = 3, CacheFolder = _folder };

        TeacherResponseSet made = await TeacherResponses.GetAsync(teacher, _prompts, options, CancellationToken.None);
        TeacherResponseSet read = await TeacherResponses.GetAsync(teacher, _prompts, options, CancellationToken.None);

        Assert.Equal(3, teacher.Requests);
        Assert.False(made.FromFile);
        Assert.True(read.FromFile);
        Assert.Equal(made.File, read.File);
        Assert.Equal(Responses(made), Responses(read));
        string[] lines = File.ReadAllLines(made.File!);
        Assert.Equal(_prompts.Length + 1, lines.Length);
        Assert.Contains("\"teacher_version\":\"local-1\"", lines[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Another_teacher_version_other_settings_or_other_prompts_generate_again()
    {
        var teacher = new LocalGptTeacher(_model);
        var options = new TeacherResponseOptions { MaxNewTokens = 6, PromptsPerRequest = 32, CacheFolder = _folder };
        TeacherResponseSet first = await TeacherResponses.GetAsync(teacher, _prompts, options, CancellationToken.None);

        TeacherResponseSet otherSettings = await TeacherResponses.GetAsync(teacher, _prompts, options with { TopP = 0.5f }, CancellationToken.None);
        TeacherResponseSet otherPrompts = await TeacherResponses.GetAsync(teacher, _prompts[1..], options, CancellationToken.None);
        teacher.Version = "local-2";
        TeacherResponseSet otherVersion = await TeacherResponses.GetAsync(teacher, _prompts, options, CancellationToken.None);

        Assert.Equal(4, teacher.Requests);
        Assert.All([otherSettings, otherPrompts, otherVersion], set => Assert.False(set.FromFile));
        Assert.Equal("local-2", otherVersion.TeacherVersion);
        Assert.Equal(4, new[] { first.File, otherSettings.File, otherPrompts.File, otherVersion.File }.Distinct().Count());
        Assert.True((await TeacherResponses.GetAsync(teacher, _prompts, options, CancellationToken.None)).FromFile);
    }

    [Fact]
    public async Task A_damaged_response_file_is_generated_again()
    {
        var teacher = new LocalGptTeacher(_model);
        var options = new TeacherResponseOptions { MaxNewTokens = 6, CacheFolder = _folder };
        TeacherResponseSet made = await TeacherResponses.GetAsync(teacher, _prompts, options, CancellationToken.None);
        File.WriteAllLines(made.File!, File.ReadAllLines(made.File!)[..^1].Append("{\"prompt\":[1,"));

        TeacherResponseSet again = await TeacherResponses.GetAsync(teacher, _prompts, options, CancellationToken.None);

        Assert.False(again.FromFile);
        Assert.Equal(Responses(made), Responses(again));
        Assert.True((await TeacherResponses.GetAsync(teacher, _prompts, options, CancellationToken.None)).FromFile);
    }

    [Fact]
    public async Task A_teacher_that_changes_version_between_requests_is_refused()
    {
        var teacher = new VersionChangingTeacher(new LocalGptTeacher(_model));
        var options = new TeacherResponseOptions { MaxNewTokens = 3, PromptsPerRequest = 4 };

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => TeacherResponses.GetAsync(teacher, _prompts, options, CancellationToken.None));
        Assert.Contains("local-2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_prompts_an_empty_prompt_or_bad_options_are_refused()
    {
        var teacher = new LocalGptTeacher(_model);
        var options = new TeacherResponseOptions();
        await Assert.ThrowsAsync<ArgumentException>(() => TeacherResponses.GetAsync(teacher, [], options, CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => TeacherResponses.GetAsync(teacher, [[1], []], options, CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => TeacherResponses.GetAsync(teacher, _prompts, options with { PromptsPerRequest = 0 }, CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => TeacherResponses.GetAsync(teacher, _prompts, options with { Temperature = 0 }, CancellationToken.None));
        Assert.Equal(0, teacher.Requests);
    }

    private static int[][] Responses(TeacherResponseSet set) => set.Pairs.Select(p => p.Response).ToArray();

    /// <summary>Answers like its inner teacher, whose version becomes "local-2" after the first answer.</summary>
    private sealed class VersionChangingTeacher(LocalGptTeacher inner) : ITeacher
    {
        public ModelInfo Model => inner.Model;

        public Task<TopKResult> TopKAsync(TopKRequest request, CancellationToken ct) => inner.TopKAsync(request, ct);

        public async Task<GenerateResponse> GenerateAsync(GenerateRequest request, CancellationToken ct)
        {
            GenerateResponse answer = await inner.GenerateAsync(request, ct);
            inner.Version = "local-2";
            return answer;
        }
    }
}
