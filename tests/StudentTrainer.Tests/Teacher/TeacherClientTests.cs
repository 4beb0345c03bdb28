using System.Net;
using System.Net.Http.Json;
using Distill.Shared.Wire;
using Distill.StudentTrainer.Teacher;

namespace Distill.StudentTrainer.Tests.Teacher;

/// <summary>The client against a real TeacherServer process: same answers as the server's JSON, and refusals at connection.</summary>
public sealed class TeacherClientTests(TeacherServerFixture fixture) : IClassFixture<TeacherServerFixture>
{
    private static readonly TopKRequest Batch = new(
        [Tokens(seed: 1, length: 5), Tokens(seed: 2, length: 17), Tokens(seed: 3, length: TeacherServerFixture.ContextLength)], K: 8, Temperature: 0.8f);

    [Theory]
    [InlineData(LogprobPrecision.Float32)]
    [InlineData(LogprobPrecision.Float16)]
    public async Task TopK_through_the_client_equals_the_servers_JSON_answer(LogprobPrecision precision)
    {
        using ReplicatedTeacher teacher = await ConnectAsync(TeacherTestOptions.Fast with { Precision = precision });
        TopKResult answer = await teacher.TopKAsync(Batch, CancellationToken.None);
        TopKResponse reference = await JsonTopKAsync(Batch);

        Assert.Equal(reference.Model, answer.Model);
        Assert.Equal(reference.Version, answer.Version);
        Assert.Equal(teacher.Model.Version, answer.Version);
        Assert.Equal(Batch.K, answer.K);
        Assert.Equal(Batch.Sequences.Length, answer.Sequences.Count);
        // float16 keeps 11 significant bits: relative error ≤ 2^-11.
        double relative = precision == LogprobPrecision.Float16 ? 5e-4 : 1e-6;
        for (var s = 0; s < Batch.Sequences.Length; s++)
        {
            SequenceTopK got = answer.Sequences[s];
            TopKSequenceJson want = reference.Sequences[s];
            Assert.Equal(Batch.Sequences[s].Length, got.Length);
            for (var t = 0; t < got.Length; t++)
            {
                Assert.Equal(want.Ids[t], got.IdsAt(t).ToArray());
                for (var i = 0; i < Batch.K; i++) AssertClose(want.Logprobs[t][i], got.LogprobsAt(t)[i], relative);
                if (want.NextTokenLogprob[t] is { } next) AssertClose(next, got.NextTokenLogprobs[t], relative);
                else Assert.True(float.IsNaN(got.NextTokenLogprobs[t]));
            }
        }
    }

    [Fact]
    public async Task Generate_through_the_client_equals_the_servers_answer()
    {
        using ReplicatedTeacher teacher = await ConnectAsync(TeacherTestOptions.Fast);
        var request = new GenerateRequest([Tokens(4, 6), Tokens(5, 3)], MaxNewTokens: 8, Temperature: 0.9f, Seed: 11, StopAtEos: false);
        GenerateResponse answer = await teacher.GenerateAsync(request, CancellationToken.None);

        using var http = new HttpClient { BaseAddress = fixture.Server.BaseAddress };
        using HttpResponseMessage response = await http.PostAsJsonAsync($"v1/models/{TeacherServerFixture.ModelName}/generate", request);
        GenerateResponse reference = (await response.Content.ReadFromJsonAsync<GenerateResponse>())!;
        Assert.Equal(11, answer.Seed);
        Assert.Equal(reference.Completions.Select(c => c.Tokens), answer.Completions.Select(c => c.Tokens));
        Assert.All(answer.Completions, c => Assert.Equal(8, c.Tokens.Length));
    }

    [Fact]
    public async Task A_teacher_with_another_tokenizer_is_refused_in_one_line_naming_both_fingerprints()
    {
        var student = fixture.Vocabulary with { Fingerprint = new string('a', 64) };
        var refusal = await Assert.ThrowsAsync<InvalidOperationException>(() => ConnectAsync(TeacherTestOptions.Fast, student));
        Assert.Contains(fixture.Vocabulary.Fingerprint, refusal.Message);
        Assert.Contains(student.Fingerprint, refusal.Message);
        Assert.DoesNotContain('\n', refusal.Message);
    }

    [Fact]
    public async Task A_teacher_with_another_vocabulary_size_is_refused_naming_both_sizes()
    {
        var student = fixture.Vocabulary with { VocabSize = 300 };
        var refusal = await Assert.ThrowsAsync<InvalidOperationException>(() => ConnectAsync(TeacherTestOptions.Fast, student));
        Assert.Contains($"vocab size {fixture.Vocabulary.VocabSize}", refusal.Message);
        Assert.Contains("vocab size 300", refusal.Message);
    }

    [Fact]
    public async Task A_teacher_whose_context_is_shorter_than_the_students_sequences_is_refused()
    {
        var refusal = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            TeacherConnector.ConnectAsync([fixture.Server.BaseAddress], null, fixture.Vocabulary, sequenceLength: 64, TeacherTestOptions.Fast));
        Assert.Contains($"context length {TeacherServerFixture.ContextLength}", refusal.Message);
        Assert.Contains("sequence length 64", refusal.Message);
    }

    [Fact]
    public async Task An_unknown_model_name_is_refused_listing_the_served_models()
    {
        var refusal = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            TeacherConnector.ConnectAsync([fixture.Server.BaseAddress], "absent", fixture.Vocabulary, 16, TeacherTestOptions.Fast));
        Assert.Contains("'absent'", refusal.Message);
        Assert.Contains(TeacherServerFixture.ModelName, refusal.Message);
    }

    [Fact]
    public async Task An_invalid_request_fails_at_once_with_the_servers_detail_and_leaves_the_replica_up()
    {
        using ReplicatedTeacher teacher = await ConnectAsync(TeacherTestOptions.Fast);
        var invalid = new TopKRequest([[1, 2, teacher.Model.VocabSize]], K: 4);
        var error = await Assert.ThrowsAsync<TeacherRequestException>(() => teacher.TopKAsync(invalid, CancellationToken.None));
        Assert.Equal(HttpStatusCode.BadRequest, error.StatusCode);
        Assert.Contains(teacher.Model.VocabSize.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Detail);
        TeacherReplicaStats replica = Assert.Single(teacher.ReplicaStats);
        Assert.True(replica.IsUp);
        Assert.Equal(0, replica.Failures);
        Assert.Equal(1, replica.Requests);
    }

    private Task<ReplicatedTeacher> ConnectAsync(TeacherClientOptions options, StudentVocabulary? student = null) =>
        TeacherConnector.ConnectAsync([fixture.Server.BaseAddress], null, student ?? fixture.Vocabulary, TeacherServerFixture.ContextLength, options);

    private async Task<TopKResponse> JsonTopKAsync(TopKRequest request)
    {
        using var http = new HttpClient { BaseAddress = fixture.Server.BaseAddress };
        using HttpResponseMessage response = await http.PostAsJsonAsync($"v1/models/{TeacherServerFixture.ModelName}/topk", request);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync(WireJsonContext.Default.TopKResponse))!;
    }

    private static void AssertClose(float expected, float actual, double relative) =>
        Assert.True(Math.Abs(expected - actual) <= relative * Math.Abs(expected) + 1e-6, $"expected {expected}, got {actual}");

    private static int[] Tokens(int seed, int length)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, length).Select(_ => random.Next(0, 256)).ToArray();
    }
}
