/** The home page: what the app is for and where to go next. */

const FEATURES: [string, string][] = [
  ["Your own records", "Each account keeps its own patients; nobody else can see or change them."],
  [
    "The dataset's fields",
    "Gender, age, hypertension, heart disease, marital status, work and residence type, glucose, BMI, smoking status and stroke, checked against the ranges a clinician expects.",
  ],
  [
    "Browser and scripts alike",
    "Work in the browser, or read and write the same records through the JSON API with a token.",
  ],
];

export interface HomePageProps {
  user?: { name: string } | null | undefined;
  notice?: string | undefined;
}

function Actions({ user }: Pick<HomePageProps, "user">) {
  if (user) {
    return (
      <p class="actions">
        <a class="button" href="/patients">Go to your patients</a>
      </p>
    );
  }
  return (
    <p class="actions">
      <a class="button" href="/register">Create an account</a>
      <a class="button button-secondary" href="/login">Log in</a>
    </p>
  );
}

export function HomePage({ user, notice }: HomePageProps) {
  return (
    <>
      {notice && <div class="alert alert-ok" role="status">{notice}</div>}
      <section class="hero" aria-labelledby="home-heading">
        <h1 id="home-heading">Stroke patient records, kept carefully</h1>
        <p class="lead">
          Stroke Patient Management keeps the records of your stroke patients: who they are, their
          risk factors and whether they had a stroke. It is built for clinicians and researchers who
          need accurate data they can search, correct and share with their own tools.
        </p>
        <Actions user={user} />
      </section>
      <section class="features" aria-label="What it does">
        {FEATURES.map(([title, text]) => (
          <article class="card">
            <h2>{title}</h2>
            <p>{text}</p>
          </article>
        ))}
      </section>
    </>
  );
}
